"""Regression: a vector of numbers per example; squared error; MSE and MAE."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tasks.task_spec import FEATURES, TaskSpec

NAME = "regression"


def train_example(features, target, preprocess, seed, config):
    del config
    return preprocess(features, seed=seed), target


def eval_example(features, target, preprocess, config):
    del config
    return preprocess(features), target


def loss(labels, outputs, options, training):
    del options, training
    return tf.reduce_mean(tf.square(tf.cast(outputs, tf.float32) - labels), axis=-1)


class Metrics:
    """Mean squared and mean absolute error over all outputs."""

    def __init__(self, config):
        del config
        self.sums = np.zeros(2)
        self.count = 0

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
        del eval_dir, step
        count = max(self.count, 1)
        return {"mse": float(self.sums[0] / count), "mae": float(self.sums[1] / count)}


def serve(outputs, config, top_k):
    del config, top_k
    return {"predictions": tf.cast(outputs, tf.float32)}


def format_result(row, config, request):
    del config, request
    return {"predictions": [float(v) for v in np.ravel(row["predictions"])]}


def csv_header(top_k):
    del top_k
    return ["predictions"]


def csv_rows(result):
    return [[" ".join(repr(v) for v in result["predictions"])]]


TASK = TaskSpec(
    name=NAME,
    requests=FEATURES,
    train_example=train_example,
    eval_example=eval_example,
    loss=loss,
    metrics=Metrics,
    better={"mse": False, "mae": False, "loss": False},
    best_metric="mse",
    serve=serve,
    format_result=format_result,
    csv_header=csv_header,
    csv_rows=csv_rows,
)
