"""Object detection with SSD: boxes and classes; the multibox loss; VOC and COCO mAP; NMS when served.

A decoded record's label is ``{"boxes" [N, 4] (yxyx in [0, 1]), "labels" [N]
(1-based; 0 is background), "difficult" [N], "size" [2]}``. Training matches
the boxes to the net's anchors in the input pipeline (``tasks/box_utils.py``);
``difficult`` boxes are not trained on and do not count in evaluation, as in
VOC. Served models decode the boxes and run per-class non-maximum suppression
inside, returning the TF Object Detection API's outputs.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw, ImageFont

from datasets import example_codec
from metrics import detection_ap, pr_curves
from tasks import box_utils
from tasks.task_spec import IMAGES, TaskOption, TaskSpec

NAME = "detection"
BOXES, LABELS, DIFFICULT = (
    example_codec.DETECTION_BOXES,
    example_codec.DETECTION_LABELS,
    example_codec.DETECTION_DIFFICULT,
)


@functools.lru_cache(maxsize=8)
def _anchors(model_name: str, image_size: int, spec) -> np.ndarray:
    return box_utils.generate_anchors(spec, image_size)


def anchors(config) -> np.ndarray:
    """The net's anchors [A, 4] (cy, cx, h, w) at the run's input size."""
    spec = config.net_spec.anchors
    if spec is None:
        raise ValueError(f"net {config.model_name!r} has no anchors: it is no detection net")
    return _anchors(config.model_name, config.image_size, spec)


def _trainable(label):
    keep = tf.logical_and(tf.equal(label[DIFFICULT], 0), label[LABELS] > 0)
    return tf.boolean_mask(label[BOXES], keep), tf.boolean_mask(label[LABELS], keep)


def train_example(image, label, preprocess, seed, config):
    boxes, labels = _trainable(label)
    image, boxes, labels = preprocess(image, seed=seed, boxes=boxes, labels=labels)
    classes, encoded = box_utils.match(boxes, labels, anchors(config), config.task_options["match_threshold"])
    return image, {"classes": classes, "boxes": encoded}


def eval_example(image, label, preprocess, config):
    classes, encoded = box_utils.match(
        *_trainable(label), anchors(config), config.task_options["match_threshold"]
    )
    return preprocess(image), {
        "classes": classes,
        "boxes": encoded,
        "gt_boxes": label[BOXES],
        "gt_labels": label[LABELS],
        "gt_difficult": label[DIFFICULT],
        "size": label["size"],
    }


def loss(labels, outputs, options, training):
    del training
    return box_utils.multibox_loss(
        labels["classes"],
        labels["boxes"],
        outputs["class_logits"],
        outputs["box_encodings"],
        options["negative_ratio"],
        options["loss_alpha"],
    )


def serve(outputs, config, top_k):
    """``detection_boxes`` (yxyx in [0, 1]), ``detection_scores``, ``detection_classes``, ``num_detections``.

    As the TF Object Detection API's outputs (classes and counts as float32).
    """
    del top_k
    options = config.task_options
    return box_utils.detect(
        outputs["class_logits"],
        outputs["box_encodings"],
        anchors(config),
        options["select_threshold"],
        options["nms_threshold"],
        int(options["keep_top_k"]),
    )


def serve_preprocessed(outputs, config, top_k):
    """Before NMS (TFLite has no combined NMS): every anchor's box [B, A, 4] and class scores [B, A, C]."""
    del top_k
    boxes = tf.clip_by_value(box_utils.decode(outputs["box_encodings"], anchors(config)), 0.0, 1.0)
    return {"boxes": boxes, "scores": tf.nn.softmax(tf.cast(outputs["class_logits"], tf.float32))[..., 1:]}


class Metrics:
    """Collects every image's detections (after NMS) and ground truth; mAP at the end."""

    def __init__(self, config):
        self.config = config
        self.results: list[detection_ap.ImageResult] = []

    def batch(self, labels, outputs):
        found = serve(outputs, self.config, 0)
        return {**found, **{k: labels[k] for k in ("gt_boxes", "gt_labels", "gt_difficult", "size")}}

    def update(self, reduced):
        for i in range(len(reduced["num_detections"])):
            n, real = int(reduced["num_detections"][i]), reduced["gt_labels"][i] > 0
            self.results.append(
                detection_ap.ImageResult(
                    boxes=reduced["detection_boxes"][i][:n],
                    scores=reduced["detection_scores"][i][:n],
                    classes=reduced["detection_classes"][i][:n].astype(np.int64),
                    gt_boxes=reduced["gt_boxes"][i][real],
                    gt_classes=reduced["gt_labels"][i][real],
                    gt_difficult=reduced["gt_difficult"][i][real].astype(bool),
                    size=tuple(int(v) for v in reduced["size"][i]),
                )
            )

    def result(self, eval_dir, step):
        metrics, curves = detection_ap.evaluate(self.results, dict(self.config.labels_to_names))
        if eval_dir and curves:
            picture = os.path.join(eval_dir, f"precision_recall-{step}.png")
            pr_curves.write_png(curves, picture)
            metrics["precision_recall_png"] = picture
        return metrics


def format_result(row, config, request):
    """Each detection scoring ``min_score`` or more: label, class id, score, box in the original's pixels."""
    height, width = request.get("image_size", (1, 1))
    detections = []
    for i in range(int(row["num_detections"])):
        if row["detection_scores"][i] < request.get("min_score", 0.0):
            break  # sorted by score
        ymin, xmin, ymax, xmax = (float(v) for v in row["detection_boxes"][i])
        class_id = int(row["detection_classes"][i])
        detections.append({
            "label": config.labels_to_names.get(class_id, str(class_id)),
            "class_id": class_id,
            "score": float(row["detection_scores"][i]),
            "box": {"xmin": xmin * width, "ymin": ymin * height, "xmax": xmax * width, "ymax": ymax * height},
        })  # fmt: skip
    return {"detections": detections}


def csv_header(top_k):
    del top_k
    return ["label", "class_id", "score", "xmin", "ymin", "xmax", "ymax"]


def csv_rows(result):
    rows = [[d["label"], d["class_id"], d["score"], *(d["box"][k] for k in ("xmin", "ymin", "xmax", "ymax"))]
            for d in result["detections"]]  # fmt: skip
    return rows or [[""] * 7]


def summary_images(inputs, targets, config):
    """The training inputs with the anchors matched to their boxes drawn, decoded back to boxes."""
    images = tf.cast(inputs, tf.float32)
    low = tf.reduce_min(images, axis=[1, 2, 3], keepdims=True)
    high = tf.reduce_max(images, axis=[1, 2, 3], keepdims=True)
    images = (images - low) / tf.maximum(high - low, 1e-6)
    boxes = box_utils.decode(targets["boxes"], anchors(config))
    boxes = tf.where((targets["classes"] > 0)[..., None], boxes, 0.0)
    return tf.image.draw_bounding_boxes(images, boxes, tf.constant([[1.0, 0.0, 0.0, 1.0]]))


def draw(image: np.ndarray, result: dict) -> np.ndarray:
    """The image (uint8 [H, W, C]) with each detection of the answer drawn: box, class name, score."""
    picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).convert("RGB")
    canvas, font = ImageDraw.Draw(picture), ImageFont.load_default()
    for d in result["detections"]:
        box = d["box"]
        colour = pr_curves.COLOURS[d["class_id"] % len(pr_curves.COLOURS)]
        canvas.rectangle([box["xmin"], box["ymin"], box["xmax"], box["ymax"]], outline=colour, width=2)
        canvas.text(
            (box["xmin"] + 2, box["ymin"] + 1), f"{d['label']} {d['score']:.2f}", fill=colour, font=font
        )
    return np.asarray(picture)


TASK = TaskSpec(
    name=NAME,
    requests=IMAGES,
    train_example=train_example,
    eval_example=eval_example,
    loss=loss,
    metrics=Metrics,
    better={"mAP": True, "mAP_voc12": True, "coco_AP": True, "coco_AP50": True, "loss": False},
    best_metric="mAP",
    serve=serve,
    serve_preprocessed=serve_preprocessed,
    format_result=format_result,
    csv_header=csv_header,
    csv_rows=csv_rows,
    summary_images=summary_images,
    draw=draw,
    options=(
        TaskOption("match_threshold", float, 0.5, "IoU at which an anchor takes a ground-truth box."),
        TaskOption("negative_ratio", float, 3.0, "Hard negatives per positive anchor in the loss."),
        TaskOption("loss_alpha", float, 1.0, "Weight of the localisation term of the loss."),
        TaskOption("select_threshold", float, 0.01, "Lowest class score a detection keeps.", at_serving=True),
        TaskOption(
            "nms_threshold", float, 0.45, "IoU above which NMS drops the weaker box.", at_serving=True
        ),
        TaskOption("keep_top_k", int, 200, "Detections kept per image after NMS.", at_serving=True),
    ),
)
