"""Regression: a vector of numbers per example; squared error; MSE and MAE."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tasks import names
from tasks.task import FEATURES, Task


class Metrics:
    """Mean squared and mean absolute error over all outputs."""

    def __init__(self):
        self.sums, self.count = np.zeros(2), 0

    def batch(self, labels, outputs):
        error = tf.cast(outputs, tf.float32) - labels
        return {
            "sums": tf.stack([tf.reduce_sum(tf.square(error)), tf.reduce_sum(tf.abs(error))]),
            "count": tf.size(error),
        }

    def update(self, reduced):
        self.sums += reduced["sums"]
        self.count += int(reduced["count"])

    def result(self, eval_dir, step):
        count = max(self.count, 1)
        return {"mse": float(self.sums[0] / count), "mae": float(self.sums[1] / count)}


class Regression(Task):
    name = names.REGRESSION
    requests = FEATURES
    better = {"mse": False, "mae": False, "loss": False}
    best_metric = "mse"

    def train_example(self, *, image, label, preprocess, seed):
        return preprocess(image, seed=seed), label

    def eval_example(self, *, image, label, preprocess):
        return preprocess(image), label

    def loss(self, *, targets, outputs, training):
        return tf.reduce_mean(tf.square(tf.cast(outputs, tf.float32) - targets), axis=-1)

    def metrics(self):
        return Metrics()

    def serve(self, *, outputs, top_k):
        return {"predictions": tf.cast(outputs, tf.float32)}

    def format_result(self, *, row, request):
        return {"predictions": [float(v) for v in np.ravel(row["predictions"])]}

    def csv_header(self, *, top_k):
        return ["predictions"]

    def csv_rows(self, *, result):
        return [[" ".join(repr(v) for v in result["predictions"])]]


TASK = Regression
