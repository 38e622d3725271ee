"""Detection metrics: Pascal VOC's mAP@0.5 (2007 11-point and 2010+ all-point) and COCO's AP via pycocotools.

Boxes are ``[ymin, xmin, ymax, xmax]`` in [0, 1]; class ids are 1-based.
As VOC does, ``difficult`` ground truth counts neither way: a detection
matching one is ignored, and it is not among the boxes to find. For COCO's
numbers the same boxes are given to pycocotools (the field's reference code)
as ``iscrowd``, its way of ignoring a region.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io

import numpy as np


@dataclasses.dataclass
class ImageResult:
    """One image's detections and ground truth (numpy arrays)."""

    boxes: np.ndarray  # [D, 4]
    scores: np.ndarray  # [D]
    classes: np.ndarray  # [D]
    gt_boxes: np.ndarray  # [G, 4]
    gt_classes: np.ndarray  # [G]
    gt_difficult: np.ndarray  # [G] bool
    size: tuple[int, int] = (1, 1)  # original height, width (for COCO's pixel boxes)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    top = np.maximum(box[:2], boxes[:, :2])
    bottom = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(bottom - top, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / np.maximum(area + areas - inter, 1e-12)


def precision_recall(results: list[ImageResult], class_id: int, iou_threshold: float = 0.5):
    """Precision and recall after each detection of ``class_id`` (by falling score), and the positives.

    Returns:
      ``(precision, recall, num_positives)``; the arrays are empty without detections.
    """
    found = []  # (score, image index, box)
    for index, r in enumerate(results):
        for box, score in zip(r.boxes[r.classes == class_id], r.scores[r.classes == class_id], strict=True):
            found.append((score, index, box))
    found.sort(key=lambda item: -item[0])
    truth = {
        i: (r.gt_boxes[r.gt_classes == class_id], r.gt_difficult[r.gt_classes == class_id])
        for i, r in enumerate(results)
    }
    taken = {i: np.zeros(len(boxes), bool) for i, (boxes, _) in truth.items()}
    positives = int(sum(np.sum(~difficult) for _, difficult in truth.values()))
    hits = []  # 1 true, 0 false positive; ignored detections leave nothing
    for _, index, box in found:
        boxes, difficult = truth[index]
        if len(boxes) == 0:
            hits.append(0)
            continue
        overlaps = _iou(box, boxes)
        best = int(np.argmax(overlaps))
        if overlaps[best] < iou_threshold:
            hits.append(0)
        elif difficult[best]:
            continue
        elif not taken[index][best]:
            taken[index][best] = True
            hits.append(1)
        else:
            hits.append(0)
    true_positives = np.cumsum(hits)
    false_positives = np.cumsum(1 - np.asarray(hits))
    precision = true_positives / np.maximum(true_positives + false_positives, 1e-12)
    recall = true_positives / max(positives, 1)
    return precision, recall, positives


def voc07_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    """VOC 2007's 11-point AP: the mean over recall 0, 0.1, ..., 1 of the best precision at that recall or
    more."""
    points = [precision[recall >= t].max() if np.any(recall >= t) else 0.0 for t in np.linspace(0, 1, 11)]
    return float(np.mean(points))


def voc12_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    """VOC 2010+'s AP: the area under the precision envelope (precision made non-increasing)."""
    recall = np.concatenate([[0.0], recall, [1.0]])
    precision = np.concatenate([[0.0], precision, [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.where(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


def coco_ap(results: list[ImageResult], class_ids: list[int]) -> tuple[float, float]:
    """COCO's AP@[0.5:0.95] and AP@0.5, computed by pycocotools (boxes in the images' pixels)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval as CocoEvaluation

    def pixels(box, size):
        height, width = size
        ymin, xmin, ymax, xmax = (float(v) for v in box)
        return [xmin * width, ymin * height, (xmax - xmin) * width, (ymax - ymin) * height]

    images, annotations, detections = [], [], []
    for index, r in enumerate(results):
        images.append({"id": index, "height": int(r.size[0]), "width": int(r.size[1])})
        for box, class_id, difficult in zip(r.gt_boxes, r.gt_classes, r.gt_difficult, strict=True):
            bbox = pixels(box, r.size)
            annotations.append({
                "id": len(annotations) + 1, "image_id": index, "category_id": int(class_id),
                "bbox": bbox, "area": bbox[2] * bbox[3], "iscrowd": int(difficult),
            })  # fmt: skip
        for box, score, class_id in zip(r.boxes, r.scores, r.classes, strict=True):
            detections.append({"image_id": index, "category_id": int(class_id), "bbox": pixels(box, r.size),
                               "score": float(score)})  # fmt: skip
    if not detections or not annotations:
        return 0.0, 0.0
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        truth = COCO()
        truth.dataset = {"images": images, "annotations": annotations,
                         "categories": [{"id": int(c)} for c in class_ids]}  # fmt: skip
        truth.createIndex()
        evaluation = CocoEvaluation(truth, truth.loadRes(detections), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0]), float(evaluation.stats[1])


def evaluate(results: list[ImageResult], class_names: dict[int, str]) -> tuple[dict, dict]:
    """The metrics eval.py prints, and each class's precision-recall curve.

    Returns:
      ``(metrics, curves)``: ``mAP`` (VOC07 11-point at IoU 0.5, SSD-Tensorflow's
      number), ``mAP_voc12``, ``coco_AP``, ``coco_AP50`` and ``per_class``;
      ``curves[name] = (recall, precision)``.
    """
    per_class, curves = {}, {}
    for class_id, name in sorted(class_names.items()):
        precision, recall, positives = precision_recall(results, class_id)
        if positives == 0:
            per_class[name] = {"AP": None, "AP_voc12": None, "num_boxes": 0}
            continue
        per_class[name] = {"AP": voc07_ap(precision, recall), "AP_voc12": voc12_ap(precision, recall),
                           "num_boxes": positives}  # fmt: skip
        curves[name] = (recall, precision)
    scored = [v for v in per_class.values() if v["AP"] is not None]
    coco, coco50 = coco_ap(results, sorted(class_names))
    metrics = {
        "mAP": float(np.mean([v["AP"] for v in scored])) if scored else 0.0,
        "mAP_voc12": float(np.mean([v["AP_voc12"] for v in scored])) if scored else 0.0,
        "coco_AP": coco,
        "coco_AP50": coco50,
        "per_class": per_class,
    }
    return metrics, curves
