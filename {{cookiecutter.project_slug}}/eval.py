"""Evaluates a checkpoint on a dataset split: TF-Slim's eval_image_classifier.py in TF2.

    python eval.py --checkpoint_path=checkpoints/lenet --dataset_split_name=test

The checkpoint knows its net, dataset, classes and preprocessing, so those
flags are optional (given, they must agree with it). The last line of stdout
is one JSON object: accuracy and recall_at_5 for classification, mse and mae
for regression, with the checkpoint's step.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys

from deployment.tf_startup import import_tensorflow

tf = import_tensorflow()

from datasets import dataset_factory, dataset_utils, input_pipeline  # noqa: E402
from deployment import checkpointing  # noqa: E402
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
        "--eval_dir", default=None, help="Where summaries go (default: <checkpoint dir>/eval_<split>)."
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        metrics = evaluate(args)
    except (dataset_utils.DatasetError, checkpointing.CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(metrics))
    return 0


def evaluate(args: argparse.Namespace) -> dict:
    # --- Net and settings from the checkpoint ---------------------------------------
    net, config, path = checkpointing.load_net(args.checkpoint_path)
    for flag in ("dataset_name", "model_name"):
        given = getattr(args, flag)
        if given is not None and given != config[flag]:
            raise checkpointing.CheckpointError(
                f"{path} was trained with --{flag}={config[flag]}, not {given}; "
                f"drop --{flag} or pass another checkpoint."
            )

    # --- Input pipeline -------------------------------------------------------------
    split = dataset_factory.get_dataset(
        config["dataset_name"], args.dataset_split_name, args.dataset_dir or config["dataset_dir"]
    )
    preprocess = preprocessing_factory.get_preprocessing(config["preprocessing_name"])
    size = config["image_size"]
    dataset = input_pipeline.eval_dataset(
        split, functools.partial(preprocess, output_height=size, output_width=size), args.batch_size
    )
    if args.max_num_batches:
        dataset = dataset.take(args.max_num_batches)

    # --- Metrics, summed over batches -------------------------------------------------
    regression = config["task"] == dataset_utils.REGRESSION
    top_k = min(5, config["num_classes"])

    @tf.function
    def batch_sums(images, labels):
        outputs, _ = net(images, training=False)
        if regression:
            error = outputs - labels
            return tf.stack([tf.reduce_sum(tf.square(error)), tf.reduce_sum(tf.abs(error))])
        hits = tf.cast(tf.argmax(outputs, axis=-1) == labels, tf.float32)
        in_top_k = tf.cast(tf.math.in_top_k(labels, outputs, k=top_k), tf.float32)
        return tf.stack([tf.reduce_sum(hits), tf.reduce_sum(in_top_k)])

    sums = tf.zeros([2])
    count = 0
    for images, labels in dataset:
        sums += batch_sums(images, labels)
        count += int(tf.shape(labels)[0])
    if count == 0:
        raise dataset_utils.DatasetError(f"split {args.dataset_split_name!r} has no examples")
    sums = (sums / count).numpy().tolist()
    names = ("mse", "mae") if regression else ("accuracy", f"recall_at_{top_k}")
    metrics = dict(zip(names, sums, strict=True))

    # --- Summaries beside training's ------------------------------------------------
    eval_dir = args.eval_dir or os.path.join(os.path.dirname(path), f"eval_{args.dataset_split_name}")
    with tf.summary.create_file_writer(eval_dir).as_default(step=config["step"]):
        for name, value in metrics.items():
            tf.summary.scalar(name, value)
    return {
        **metrics,
        "num_examples": count,
        "step": config["step"],
        "checkpoint": path,
        "split": args.dataset_split_name,
    }


if __name__ == "__main__":
    sys.exit(main())
