"""Evaluates checkpoints on a dataset split: TF-Slim's eval_image_classifier.py in TF2.

    python eval.py --checkpoint_path=checkpoints/lenet   # its test split, else validation
    python eval.py --checkpoint_path=checkpoints/lenet --wait_for_checkpoints   # beside train.py

The checkpoint knows its net, dataset, classes and preprocessing, so those
flags are optional (given, they must agree with it). Each evaluation prints
one JSON object, and the last line of stdout is always one (or nothing, after
an error): the task's metrics (a classifier's accuracy, recall@5, per-class
precision and recall and confusion matrix, also as a PNG in --eval_dir; a
regressor's mse and mae), the loss, and the checkpoint's step.

With --wait_for_checkpoints, every new checkpoint in the directory is
evaluated once as training writes it; the loop ends after the checkpoint of
training's last step, or when no new checkpoint came for --timeout seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

from cli import flags, progress, runner

import tensorflow as tf

import errors
from datasets import converted, dataset_factory
from deployment import assembly, checkpointing
from deployment.run_config import CheckpointError, RunConfig
from nets import slim_checkpoint
from serving import endpoints
from training import evaluation


def parse_flags(argv: list[str] | None) -> argparse.Namespace:
    p = flags.make_parser(__doc__)
    flags.add_checkpoint_flag(p)
    flags.add_dataset_flags(p, split=None, from_checkpoint=True)
    p.add_argument("--model_name", help="Default: the checkpoint's.")
    flags.add_batch_size_flag(p, 100)
    p.add_argument("--max_num_batches", type=flags.positive_int, help="Default: the whole split.")
    p.add_argument(
        "--eval_dir", help="Where summaries and pictures go (default: <checkpoint dir>/eval_<split>)."
    )
    p.add_argument(
        "--wait_for_checkpoints",
        action="store_true",
        help="Evaluate each new checkpoint in the --checkpoint_path directory as training writes it.",
    )
    p.add_argument(
        "--eval_interval_secs",
        type=flags.positive_float,
        default=60,
        help="How often to look for a new checkpoint.",
    )
    p.add_argument(
        "--timeout",
        type=flags.positive_float,
        help="Stop waiting after this many seconds without a new checkpoint.",
    )
    flags.add_task_flags(p, serving_only=True)
    return flags.parse(p, argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_flags(argv)
    return runner.run(wait_and_evaluate if args.wait_for_checkpoints else evaluate_once, args)


def evaluate_once(args: argparse.Namespace) -> int:
    path = checkpointing.resolve_checkpoint(args.checkpoint_path)
    print(json.dumps(CheckpointEvaluator(args, path).run(path)))
    return 0


class CheckpointEvaluator:
    """Builds the net and input once from a checkpoint's record; evaluates it and its successors."""

    def __init__(self, args: argparse.Namespace, first_checkpoint: str):
        # --- Net and settings from the checkpoint -------------------------------------
        config = assembly.read_config(first_checkpoint)
        if slim_checkpoint.is_slim_checkpoint(first_checkpoint):  # no run record: any dataset given
            config = dataclasses.replace(config, dataset_name=args.dataset_name or config.dataset_name)
        for flag in ("dataset_name", "model_name"):
            given = getattr(args, flag)
            if given is not None and given != getattr(config, flag):
                raise CheckpointError(
                    f"{first_checkpoint} was trained with --{flag}={getattr(config, flag)}, not {given}; "
                    f"drop --{flag} or pass another checkpoint."
                )
        self.config = endpoints.with_task_overrides(config, flags.task_overrides(args))
        self.net = assembly.build_net(config)
        self.args = args

        # --- Input pipeline and metrics -------------------------------------------------
        names = [args.dataset_split_name] if args.dataset_split_name else list(flags.HELD_OUT)
        split = dataset_factory.get_first_split(
            config.dataset_name, names, args.dataset_dir or config.dataset_dir
        )
        self.split_name = split.split_name
        converted.check_split(split)  # a stat per shard; a corrupt record is named where it is read
        offset = split.num_classes - config.num_classes
        if offset != self.config.task_options.get("labels_offset", 0):
            fix = f"pass --labels_offset={offset}" if offset > 0 else "evaluate it on the data it learned"
            raise CheckpointError(f"{first_checkpoint}'s net has {config.num_classes} outputs and "
                                  f"{config.dataset_name} {split.num_classes} classes: {fix}")  # fmt: skip
        shown = progress.Progress("examples", every=10_000, stream=sys.stderr)
        self.evaluator = evaluation.Evaluator(
            self.config, self.net, split, args.batch_size, args.max_num_batches, shown
        )

    def run(self, path: str) -> dict:
        """Evaluates checkpoint ``path`` and writes its summaries."""
        config: RunConfig = assembly.read_config(path)
        assembly.restore(self.net, path, config)
        eval_dir = self.args.eval_dir or os.path.join(
            checkpointing.checkpoint_dir(path), f"eval_{self.split_name}"
        )
        metrics = self.evaluator.evaluate(eval_dir, config.step)
        evaluation.write_summaries(eval_dir, config.step, metrics)
        return {**metrics, "step": config.step, "checkpoint": path, "split": self.split_name}


def wait_and_evaluate(args: argparse.Namespace) -> int:
    """Evaluates each new checkpoint once, until training's last step or the timeout."""
    directory = args.checkpoint_path
    if not tf.io.gfile.isdir(directory):
        raise CheckpointError(f"--wait_for_checkpoints needs a directory, got {directory}")
    evaluator, seen, evaluated = None, set(), 0
    last_new = time.monotonic()
    while True:
        path = tf.train.latest_checkpoint(directory)
        if path and path not in seen:
            seen.add(path)
            last_new = time.monotonic()
            try:
                evaluator = evaluator or CheckpointEvaluator(args, path)
                metrics = evaluator.run(path)
            except (CheckpointError, tf.errors.OpError) as e:
                # The trainer's rotation can delete a checkpoint between listing and reading.
                print(f"skipped {path}: {errors.cause(e)}", file=sys.stderr)
                continue
            print(json.dumps(metrics), flush=True)
            evaluated += 1
            final_step = evaluator.config.loop.max_number_of_steps
            if final_step and metrics["step"] >= final_step:
                return 0
        elif args.timeout is not None and time.monotonic() - last_new > args.timeout:
            print(f"No new checkpoint in {directory} for {args.timeout:.0f} s; stopping.", file=sys.stderr)
            return 0 if evaluated else 2
        time.sleep(args.eval_interval_secs)


if __name__ == "__main__":
    sys.exit(main())
