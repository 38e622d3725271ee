"""Object detection with SSD: boxes and classes; the multibox loss; VOC and COCO mAP; NMS when served.

A decoded record's label is ``{"boxes" [N, 4] (yxyx in [0, 1]), "labels" [N]
(1-based; 0 is background), "difficult" [N], "size" [2]}``. Training matches
the boxes to the net's anchors in the input pipeline (``tasks/box_ops.py``);
``difficult`` boxes are not trained on and do not count in evaluation, as in
VOC. Served models decode the boxes and run per-class non-maximum suppression
inside, returning the TF Object Detection API's outputs.
"""

from __future__ import annotations

import collections
import os

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw, ImageFont

from metrics import confusion_matrix, detection_ap, pr_curves
from tasks import box_ops
from tasks.box_ops import BOXES, DIFFICULT, LABELS, SIZE
from tasks.task import Task, TaskOption

_GROUND_TRUTH = ("gt_boxes", "gt_labels", "gt_difficult", SIZE)


class Metrics:
    """Collects every image's detections (after NMS) and ground truth; mAP at the end."""

    def __init__(self, task: Detection):
        self.task = task
        self.results: list[detection_ap.ImageResult] = []

    def batch(self, labels, outputs):
        return {**self.task.serve(outputs=outputs, top_k=0), **{k: labels[k] for k in _GROUND_TRUTH}}

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
                    size=tuple(int(v) for v in reduced[SIZE][i]),
                )
            )

    def result(self, eval_dir, step):
        metrics, curves = detection_ap.evaluate(self.results, self.task.labels_to_names)
        if eval_dir and curves:
            picture = os.path.join(eval_dir, f"precision_recall-{step}.png")
            pr_curves.write_png(curves, picture)
            metrics["precision_recall_png"] = picture
        return metrics


class Detection(Task):
    name = box_ops.DETECTION
    better = {"mAP": True, "mAP_voc12": True, "coco_AP": True, "coco_AP50": True, "loss": False}
    best_metric = "mAP"
    options = (
        TaskOption("match_threshold", float, 0.5, "IoU at which an anchor takes a ground-truth box."),
        TaskOption("negative_ratio", float, 3.0, "Hard negatives per positive anchor in the loss."),
        TaskOption("loss_alpha", float, 1.0, "Weight of the localisation term of the loss."),
        TaskOption("select_threshold", float, 0.01, "Lowest class score a detection keeps.", at_serving=True),
        TaskOption(
            "nms_threshold", float, 0.45, "IoU above which NMS drops the weaker box.", at_serving=True
        ),
        TaskOption("keep_top_k", int, 200, "Detections kept per image after NMS.", at_serving=True),
    )
    answer_options = (
        TaskOption(
            "min_score",
            float,
            0.5,
            "Print and draw the detections scoring at least this (served models return every one above "
            "their --select_threshold, for mAP).",
        ),
        TaskOption(
            "output_dir", str, None, "Also write each image with its detections drawn into this folder."
        ),
    )

    def __init__(self, *, anchors: np.ndarray | None = None, **kwargs):
        """``anchors``: the net's anchors [A, 4] (cy, cx, h, w) at the run's input size."""
        super().__init__(**kwargs)
        self.anchors = anchors

    def _trainable(self, label):
        """The boxes and labels that train (``difficult`` ones and padding do not)."""
        keep = tf.logical_and(tf.equal(label[DIFFICULT], 0), label[LABELS] > 0)
        return tf.boolean_mask(label[BOXES], keep), tf.boolean_mask(label[LABELS], keep)

    def train_example(self, *, image, label, preprocess, seed):
        found, classes = self._trainable(label)
        image, found, classes = preprocess(image, seed=seed, boxes=found, labels=classes)
        matched, encoded = box_ops.match(found, classes, self.anchors, self.settings["match_threshold"])
        return image, {"classes": matched, "boxes": encoded}

    def eval_example(self, *, image, label, preprocess):
        classes, encoded = box_ops.match(
            *self._trainable(label), self.anchors, self.settings["match_threshold"]
        )
        return preprocess(image), {
            "classes": classes,
            "boxes": encoded,
            "gt_boxes": label[BOXES],
            "gt_labels": label[LABELS],
            "gt_difficult": label[DIFFICULT],
            SIZE: label[SIZE],
        }

    def loss(self, *, targets, outputs, training):
        return box_ops.multibox_loss(
            targets["classes"],
            targets["boxes"],
            outputs["class_logits"],
            outputs["box_encodings"],
            self.settings["negative_ratio"],
            self.settings["loss_alpha"],
        )

    def metrics(self):
        return Metrics(self)

    def serve(self, *, outputs, top_k):
        """``detection_boxes`` (yxyx in [0, 1]), ``detection_scores``, ``detection_classes`` and
        ``num_detections``.

        As the TF Object Detection API's outputs (classes and counts as float32).
        """
        return box_ops.detect(
            outputs["class_logits"],
            outputs["box_encodings"],
            self.anchors,
            self.settings["select_threshold"],
            self.settings["nms_threshold"],
            int(self.settings["keep_top_k"]),
        )

    def serve_preprocessed(self, *, outputs, top_k):
        """Before NMS (TFLite has no combined NMS): every anchor's box [B, A, 4], class scores [B, A, C]."""
        found = tf.clip_by_value(box_ops.decode(outputs["box_encodings"], self.anchors), 0.0, 1.0)
        return {
            "boxes": found,
            "scores": tf.nn.softmax(tf.cast(outputs["class_logits"], tf.float32))[..., 1:],
        }

    def format_result(self, *, row, request):
        """Each detection scoring ``min_score`` or more: label, class id, score, box in the image's pixels."""
        height, width = request.get("image_size", (1, 1))
        detections = []
        for i in range(int(row["num_detections"])):
            if row["detection_scores"][i] < request.get("min_score", 0.0):
                break  # sorted by score
            ymin, xmin, ymax, xmax = (float(v) for v in row["detection_boxes"][i])
            class_id = int(row["detection_classes"][i])
            detections.append({
                "label": self.labels_to_names.get(class_id, str(class_id)),
                "class_id": class_id,
                "score": float(row["detection_scores"][i]),
                "box": {"xmin": xmin * width, "ymin": ymin * height,
                        "xmax": xmax * width, "ymax": ymax * height},
            })  # fmt: skip
        return {"detections": detections}

    def csv_header(self, *, top_k):
        return ["label", "class_id", "score", "xmin", "ymin", "xmax", "ymax"]

    def csv_rows(self, *, result):
        corners = ("xmin", "ymin", "xmax", "ymax")
        rows = [
            [d["label"], d["class_id"], d["score"], *(d["box"][k] for k in corners)]
            for d in result["detections"]
        ]
        return rows or [[""] * 7]

    def summary_images(self, *, inputs, targets):
        """The training inputs with the anchors matched to their boxes drawn, decoded back to boxes."""
        images = tf.cast(inputs, tf.float32)
        low = tf.reduce_min(images, axis=[1, 2, 3], keepdims=True)
        high = tf.reduce_max(images, axis=[1, 2, 3], keepdims=True)
        images = (images - low) / tf.maximum(high - low, 1e-6)
        found = box_ops.decode(targets["boxes"], self.anchors)
        found = tf.where((targets["classes"] > 0)[..., None], found, 0.0)
        return tf.image.draw_bounding_boxes(images, found, tf.constant([[1.0, 0.0, 0.0, 1.0]]))

    def draw(self, *, image, answer):
        """The image (uint8 [H, W, C]) with each detection of the answer drawn: box, class name, score."""
        picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).convert("RGB")
        canvas, font = ImageDraw.Draw(picture), ImageFont.load_default()
        for d in answer["detections"]:
            box = d["box"]
            colour = pr_curves.COLOURS[d["class_id"] % len(pr_curves.COLOURS)]
            canvas.rectangle([box["xmin"], box["ymin"], box["xmax"], box["ymax"]], outline=colour, width=2)
            canvas.text(
                (box["xmin"] + 2, box["ymin"] + 1), f"{d['label']} {d['score']:.2f}", fill=colour, font=font
            )
        return np.asarray(picture)

    def write_drawn(self, *, path: str, encoded: bytes, answer: dict, folder: str) -> None:
        """Writes the image with the answer drawn on it as ``<folder>/<name>.png`` (infer.py --output_dir)."""
        image = tf.io.decode_image(encoded, channels=3, expand_animations=False).numpy()
        tf.io.gfile.makedirs(folder)
        name = os.path.splitext(os.path.basename(path))[0] + ".png"
        confusion_matrix.save_png(
            Image.fromarray(self.draw(image=image, answer=answer)), os.path.join(folder, name)
        )

    def describe_labels(self, labels):
        """Boxes per class and per image, their sizes in pixels, and (with anchors) the share of boxes
        no anchor covers at IoU 0.5: those train nothing but their one forced anchor, a sign to change
        the net's anchors or image size."""
        per_class, per_image, widths, heights, every_box = collections.Counter(), [], [], [], []
        for label in labels:
            found = label[BOXES]
            per_image.append(len(found))
            per_class.update(int(c) for c in label[LABELS])
            height, width = label[SIZE]
            heights += list((found[:, 2] - found[:, 0]) * height)
            widths += list((found[:, 3] - found[:, 1]) * width)
            every_box.append(found)
        described = {
            "boxes_per_class": {self.labels_to_names.get(k, str(k)): per_class[k] for k in sorted(per_class)},
            "boxes_per_image": {
                "mean": float(np.mean(per_image)) if per_image else 0.0,
                "max": int(max(per_image, default=0)),
            },
            "box_size_pixels": {
                "median_width": float(np.median(widths)) if widths else 0.0,
                "median_height": float(np.median(heights)) if heights else 0.0,
                "smallest_side": float(min(min(widths, default=0), min(heights, default=0))),
            },
        }
        if self.anchors is not None and every_box:
            described["share_of_boxes_no_anchor_covers_at_iou_0.5"] = box_ops.anchor_coverage(
                np.concatenate(every_box), self.anchors
            )
        return described

    def caption(self, *, image, label):
        height, width = image.shape[:2]
        answer = {"detections": [
            {"label": self.labels_to_names.get(int(c), str(c)), "class_id": int(c), "score": 1.0,
             "box": {"xmin": b[1] * width, "ymin": b[0] * height,
                     "xmax": b[3] * width, "ymax": b[2] * height}}
            for b, c in zip(label[BOXES], label[LABELS], strict=True)
        ]}  # fmt: skip
        return self.draw(image=image, answer=answer), f"{len(label[LABELS])} boxes"


TASK = Detection
