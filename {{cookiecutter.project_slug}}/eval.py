"""Evaluates checkpoints on a dataset split: TF-Slim's eval_image_classifier.py in TF2.

    python eval.py --checkpoint_path=checkpoints/lenet --dataset_split_name=test
    python eval.py --checkpoint_path=checkpoints/lenet --wait_for_checkpoints   # beside train.py

The checkpoint knows its net, dataset, classes and preprocessing, so those
flags are optional (given, they must agree with it). Each evaluation prints
one JSON object, and the last line of stdout is always one: accuracy,
recall_at_5, per-class precision and recall and the confusion matrix for
classification (the matrix also as a PNG in --eval_dir), mse and mae for
regression, with the checkpoint's step.

With --wait_for_checkpoints, every new checkpoint in the directory is
evaluated once as training writes it; the loop ends after the checkpoint of
training's last step, or when no new checkpoint came for --timeout seconds.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time

from deployment.tf_startup import import_tensorflow

tf = import_tensorflow()

from datasets import dataset_factory, dataset_utils, input_pipeline  # noqa: E402
from deployment import checkpointing  # noqa: E402
from metrics import confusion_matrix  # noqa: E402
from preprocessing import preprocessing_factory  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--checkpoint_path",
        required=True,
        help="A checkpoint file prefix, or a directory (its latest checkpoint).",
    )
    p.add_argument("--dataset_split_name", default="test")
    p.add_argument("--dataset_dir", default=None, help="Default: the one training used.")
    p.add_argument("--dataset_name", default=None, help="Default: the checkpoint's.")
    p.add_argument("--model_name", default=None, help="Default: the checkpoint's.")
    p.add_argument("--batch_size", type=int, default=100)
    p.add_argument("--max_num_batches", type=int, default=None, help="Default: the whole split.")
    p.add_argument(
        "--eval_dir",
        default=None,
        help="Where summaries and pictures go (default: <checkpoint dir>/eval_<split>).",
    )
    p.add_argument(
        "--wait_for_checkpoints",
        action="store_true",
        help="Evaluate each new checkpoint in the --checkpoint_path directory as training writes it.",
    )
    p.add_argument(
        "--eval_interval_secs", type=float, default=60, help="How often to look for a new checkpoint."
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="Stop waiting after this many seconds without a new checkpoint.",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.wait_for_checkpoints:
            return wait_and_evaluate(args)
        print(json.dumps(Evaluator(args, checkpointing.resolve_checkpoint(args.checkpoint_path)).run()))
    except (dataset_utils.DatasetError, checkpointing.CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


class Evaluator:
    """Builds the net and input once from a checkpoint; evaluates it and its successors."""

    def __init__(self, args: argparse.Namespace, first_checkpoint: str):
        # --- Net and settings from the checkpoint -------------------------------------
        self.args = args
        self.config = config = checkpointing.read_config(first_checkpoint)
        for flag in ("dataset_name", "model_name"):
            given = getattr(args, flag)
            if given is not None and given != config[flag]:
                raise checkpointing.CheckpointError(
                    f"{first_checkpoint} was trained with --{flag}={config[flag]}, not {given}; "
                    f"drop --{flag} or pass another checkpoint."
                )
        self.net = checkpointing.build_net(config)

        # --- Input pipeline -----------------------------------------------------------
        split = dataset_factory.get_dataset(
            config["dataset_name"], args.dataset_split_name, args.dataset_dir or config["dataset_dir"]
        )
        preprocess = preprocessing_factory.get_preprocessing(config["preprocessing_name"])
        size = config["image_size"]
        self.dataset = input_pipeline.eval_dataset(
            split, functools.partial(preprocess, output_height=size, output_width=size), args.batch_size
        )
        if args.max_num_batches:
            self.dataset = self.dataset.take(args.max_num_batches)
        self.regression = config["task"] == dataset_utils.REGRESSION
        self.top_k = min(5, config["num_classes"])

    # --- Metrics, summed over batches -------------------------------------------------
    @tf.function
    def _batch_sums(self, images, labels):
        outputs, _ = self.net(images, training=False)
        if self.regression:
            error = outputs - labels
            return tf.stack([tf.reduce_sum(tf.square(error)), tf.reduce_sum(tf.abs(error))]), tf.zeros(
                [0, 0], tf.int64
            )
        in_top_k = tf.reduce_sum(tf.cast(tf.math.in_top_k(labels, outputs, k=self.top_k), tf.float32))
        matrix = tf.math.confusion_matrix(
            labels, tf.argmax(outputs, axis=-1), num_classes=self.config["num_classes"], dtype=tf.int64
        )
        return tf.stack([in_top_k, 0.0]), matrix

    def run(self, path: str | None = None) -> dict:
        """Evaluates checkpoint ``path`` (default: the first one) and writes its summaries."""
        path = path or checkpointing.resolve_checkpoint(self.args.checkpoint_path)
        step = checkpointing.read_config(path)["step"]
        checkpointing.restore(
            checkpointing.weights_checkpoint(self.net, self.config), path, self.config, partial=True
        )
        sums, matrix, count = 0.0, 0, 0
        for images, labels in self.dataset:
            batch_sums, batch_matrix = self._batch_sums(images, labels)
            sums, matrix = sums + batch_sums.numpy(), matrix + batch_matrix.numpy()
            count += int(tf.shape(labels)[0])
        if count == 0:
            raise dataset_utils.DatasetError(f"split {self.args.dataset_split_name!r} has no examples")
        eval_dir = self.args.eval_dir or os.path.join(
            os.path.dirname(path), f"eval_{self.args.dataset_split_name}"
        )
        os.makedirs(eval_dir, exist_ok=True)
        if self.regression:
            metrics = {"mse": float(sums[0] / count), "mae": float(sums[1] / count)}
        else:
            names = [self.config["labels_to_names"].get(k, str(k)) for k in range(self.config["num_classes"])]
            metrics = {
                **confusion_matrix.metrics(matrix, names),
                f"recall_at_{self.top_k}": float(sums[0] / count),
            }
            picture = os.path.join(eval_dir, f"confusion_matrix-{step}.png")
            confusion_matrix.write_png(matrix, names, picture)
            metrics["confusion_matrix_png"] = picture
        with tf.summary.create_file_writer(eval_dir).as_default(step=step):
            for name, value in metrics.items():
                if isinstance(value, float):
                    tf.summary.scalar(name, value)
        return {
            **metrics,
            "num_examples": count,
            "step": step,
            "checkpoint": path,
            "split": self.args.dataset_split_name,
        }


def wait_and_evaluate(args: argparse.Namespace) -> int:
    """Evaluates each new checkpoint once, until training's last step or the timeout."""
    directory = args.checkpoint_path
    if not os.path.isdir(directory):
        raise checkpointing.CheckpointError(f"--wait_for_checkpoints needs a directory, got {directory}")
    evaluator, seen, evaluated = None, set(), 0
    last_new = time.monotonic()
    while True:
        path = tf.train.latest_checkpoint(directory)
        if path and path not in seen:
            seen.add(path)
            last_new = time.monotonic()
            try:
                evaluator = evaluator or Evaluator(args, path)
                metrics = evaluator.run(path)
            except (checkpointing.CheckpointError, tf.errors.OpError) as e:
                # The trainer's rotation can delete a checkpoint between listing and reading.
                print(f"skipped {path}: {str(e).splitlines()[0]}", file=sys.stderr)
                continue
            print(json.dumps(metrics), flush=True)
            evaluated += 1
            final_step = evaluator.config["flags"].get("max_number_of_steps")
            if final_step and metrics["step"] >= final_step:
                return 0
        elif args.timeout is not None and time.monotonic() - last_new > args.timeout:
            print(f"No new checkpoint in {directory} for {args.timeout:.0f} s; stopping.", file=sys.stderr)
            return 0 if evaluated else 2
        time.sleep(args.eval_interval_secs)


if __name__ == "__main__":
    sys.exit(main())
