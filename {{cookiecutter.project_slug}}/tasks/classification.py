"""Classification: one class per image; softmax cross-entropy; accuracy and a confusion matrix."""

from __future__ import annotations

import collections
import os

import numpy as np
import tensorflow as tf

from metrics import confusion_matrix
from tasks import names
from tasks.task import Task, TaskOption


def recall_k(num_classes: int) -> int:
    """The k of the recall@k an evaluation reports (``recall_at_<k>``): 5, or every class when fewer."""
    return min(5, num_classes)


class Metrics:
    """Accuracy, recall@k, per-class precision and recall, and the confusion matrix (with its PNG)."""

    def __init__(self, num_classes: int, class_names: list[str]):
        self.num_classes, self.names = num_classes, class_names
        self.top_k = recall_k(num_classes)
        self.matrix = np.zeros([num_classes] * 2, np.int64)
        self.in_top_k = 0

    def batch(self, labels, outputs):
        logits = tf.cast(outputs, tf.float32)
        return {
            "in_top_k": tf.reduce_sum(tf.cast(tf.math.in_top_k(labels, logits, k=self.top_k), tf.int64)),
            "matrix": tf.math.confusion_matrix(
                labels, tf.argmax(logits, axis=-1), num_classes=self.num_classes, dtype=tf.int64
            ),
        }

    def update(self, reduced):
        self.matrix += reduced["matrix"]
        self.in_top_k += int(reduced["in_top_k"])

    def result(self, eval_dir, step):
        metrics = {
            **confusion_matrix.metrics(self.matrix, self.names),
            f"recall_at_{self.top_k}": self.in_top_k / max(int(self.matrix.sum()), 1),
        }
        if eval_dir:
            picture = os.path.join(eval_dir, f"confusion_matrix-{step}.png")
            confusion_matrix.write_png(self.matrix, self.names, picture)
            metrics["confusion_matrix_png"] = picture
        return metrics


class Classification(Task):
    name = names.CLASSIFICATION
    best_metric = "accuracy"
    options = (
        TaskOption(
            "label_smoothing",
            float,
            0.0,
            "Spread this much of each label's probability over the other classes while training.",
        ),
        TaskOption(
            "labels_offset",
            int,
            0,
            "Subtract this from every label the dataset holds, as TF-Slim did: 1 trains or evaluates "
            "a 1,000-class net on labels after a background class 0 (TF-Slim's ImageNet records).",
            at_serving=True,
        ),
    )

    @property
    def better(self) -> dict[str, bool]:
        return {"accuracy": True, f"recall_at_{recall_k(self.num_classes)}": True, "loss": False}

    @property
    def class_names(self) -> list[str]:
        return [self.labels_to_names.get(k, str(k)) for k in range(self.num_classes)]

    def train_example(self, *, image, label, preprocess, seed):
        return preprocess(image, seed=seed), label - self.settings["labels_offset"]

    def eval_example(self, *, image, label, preprocess):
        return preprocess(image), label - self.settings["labels_offset"]

    def loss(self, *, targets, outputs, training):
        """Per-example softmax cross-entropy in float32 (smoothed labels while training)."""
        logits = tf.cast(outputs, tf.float32)
        smoothing = self.settings["label_smoothing"] if training else 0.0
        if smoothing:
            one_hot = tf.one_hot(targets, tf.shape(logits)[-1])
            return tf.keras.losses.categorical_crossentropy(
                one_hot, logits, from_logits=True, label_smoothing=smoothing
            )
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)

    def metrics(self):
        return Metrics(self.num_classes, self.class_names)

    def serve(self, *, outputs, top_k):
        """Probabilities [batch, classes], and the top ``class_ids``, ``labels`` and ``scores`` [batch, k]."""
        probabilities = tf.nn.softmax(tf.cast(outputs, tf.float32))
        scores, class_ids = tf.math.top_k(probabilities, k=min(top_k, self.num_classes))
        return {
            "probabilities": probabilities,
            "class_ids": class_ids,
            "labels": tf.gather(tf.constant(self.class_names), class_ids),
            "scores": scores,
        }

    def format_result(self, *, row, request):
        k = request.get("top_k") or len(row["class_ids"])
        ranked = list(zip(row["class_ids"], row["labels"], row["scores"], strict=True))[:k]
        return {
            "predictions": [{"class_id": int(c), "label": _text(n), "score": float(s)} for c, n, s in ranked]
        }

    def csv_header(self, *, top_k):
        ranks = range(1, min(top_k, self.num_classes) + 1)  # serve() answers no more classes than there are
        return [f"{field}_{rank}" for rank in ranks for field in ("class_id", "label", "score")]

    def csv_rows(self, *, result):
        return [[v for p in result["predictions"] for v in (p["class_id"], p["label"], p["score"])]]

    def describe_labels(self, labels):
        counts = collections.Counter(int(label) for label in labels)
        return {"class_counts": {self.labels_to_names.get(k, str(k)): counts[k] for k in sorted(counts)}}


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


TASK = Classification
