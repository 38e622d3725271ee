"""Evaluating a net on a dataset split: what eval.py prints and what training validates with.

The task's metrics are summed batch by batch, with the loss beside them; the
result is one JSON-able dict. The split's record counts are checked against
``dataset_info.json`` before any metric is reported, and a corrupt record is
named by file.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf
from tensorflow import keras

from datasets import converted, input_pipeline
from datasets.splits import DatasetError, DatasetSplit
from deployment import assembly
from deployment.run_config import RunConfig


class Evaluator:
    """Builds the input once; evaluates the net (whatever weights it holds now) on every call."""

    def __init__(
        self,
        config: RunConfig,
        net: keras.Model,
        split: DatasetSplit,
        batch_size: int,
        max_num_batches: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ):
        self.config, self.net, self.split, self.progress = config, net, split, progress
        self.task = assembly.task(config)
        preprocess = assembly.preprocessing(config, is_training=False)

        def example(image, label):
            return self.task.eval_example(image=image, label=label, preprocess=preprocess)

        self.dataset = input_pipeline.eval_dataset(split, example, batch_size)
        self.max_num_batches = max_num_batches
        if max_num_batches:
            self.dataset = self.dataset.take(max_num_batches)
        self.expected = split.num_samples if not max_num_batches else None
        reducer = self.task.metrics()

        # Traced once, used by every evaluation: training validates many times.
        @tf.function
        def reduce(inputs, labels):
            outputs, _ = net(inputs, training=False)
            losses = self.task.loss(targets=labels, outputs=outputs, training=False)
            return reducer.batch(labels, outputs), tf.reduce_sum(losses), tf.size(losses)

        self._reduce = reduce

    def evaluate(self, eval_dir: str | None = None, step: int = 0) -> dict:
        """The metrics of the net's current weights; pictures (if any) go into ``eval_dir``."""
        metrics = self.task.metrics()
        loss_sum, count = 0.0, 0
        if self.progress:
            self.progress(0, self.expected or 0)
        try:
            for inputs, labels in self.dataset:
                reduced, batch_loss, batch_count = self._reduce(inputs, labels)
                metrics.update({k: v.numpy() for k, v in reduced.items()})
                loss_sum, count = loss_sum + float(batch_loss), count + int(batch_count)
                if self.progress:
                    self.progress(count, self.expected or 0)
        except tf.errors.DataLossError:
            converted.verify_split(self.split)  # names the corrupt shard
            raise
        if count == 0:
            raise DatasetError(
                f"split {self.split.split_name!r} of {self.split.dataset_name!r} has no examples"
            )
        if self.expected is not None and count != self.expected:
            converted.verify_split(self.split)  # names the short shard
            raise DatasetError(
                f"{self.split.dataset_name}/{self.split.split_name} gave {count} examples where "
                f"dataset_info.json promises {self.expected}; convert the dataset again"
            )
        if eval_dir:
            tf.io.gfile.makedirs(eval_dir)
        result = metrics.result(eval_dir, step)
        return {**result, "loss": loss_sum / count, "num_examples": count}


def write_summaries(eval_dir: str, step: int, metrics: dict) -> None:
    """The scalar metrics as TensorBoard summaries in ``eval_dir``."""
    with tf.summary.create_file_writer(eval_dir).as_default(step=step):
        for name, value in metrics.items():
            if isinstance(value, float):
                tf.summary.scalar(name, value)
