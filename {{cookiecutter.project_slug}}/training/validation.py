"""Validation during training: the eval metrics every N steps, the best checkpoint, early stopping.

The metrics are the ones eval.py prints (``training/evaluation.py``), computed
in the training process on the net eval and export use (the moving average,
when the run keeps one). They go to TensorBoard as a run of their own
(``<train_dir>/validation_<split>``). ``--keep_best_by`` keeps the best
checkpoint in ``<train_dir>/best/`` with its metric and step in
``best/best.json``; eval.py, infer.py and export.py take
``--checkpoint_path=<train_dir>/best``. The best so far survives a restart.

On several workers the chief evaluates (its copy of the weights is every
worker's); the others wait at their next step, and the decisions (a new
best, stop early) reach them through the vote the loop holds anyway.
"""

from __future__ import annotations

import dataclasses
import json
import os

import tensorflow as tf
from tensorflow import keras

from datasets.splits import DatasetSplit
from deployment import assembly
from deployment.run_config import RunConfig
from errors import UserError
from training import evaluation

BEST_DIR = "best"
BEST_RECORD = "best.json"


@dataclasses.dataclass
class Outcome:
    """What one validation found (``metrics`` is None on workers that do not evaluate)."""

    metrics: dict | None = None
    improved: bool = False
    stop: bool = False
    messages: list[str] = dataclasses.field(default_factory=list)


class Validator:
    """Validates on ``split`` with the run's ``validation`` settings; keeps the best in ``<train_dir>/best``.

    Only the worker that ``evaluates`` computes metrics; the others get empty outcomes.
    """

    def __init__(self, config: RunConfig, net: keras.Model, split: DatasetSplit, evaluates: bool):
        settings, train_dir = config.validation, config.loop.train_dir
        task = assembly.task(config)
        self.metric = settings.keep_best_by or task.best_metric
        if self.metric not in task.better:
            raise UserError(
                f"--keep_best_by={self.metric}: {task.name} reports {', '.join(sorted(task.better))}"
            )
        self.higher = task.better[self.metric]
        self.patience, self.evaluates = settings.early_stopping_patience, evaluates
        self.best_dir = os.path.join(train_dir, BEST_DIR)
        self.best = _read_best(self.best_dir)
        if self.best is not None and self.best.get("metric") != self.metric:
            self.best = None  # kept by another metric before: start over with this one
        self.stale = 0  # evaluations since the best
        self.evaluator = (
            evaluation.Evaluator(config, net, split, settings.validation_batch_size) if evaluates else None
        )
        self.eval_dir = os.path.join(config.loop.summary_dir or train_dir, f"validation_{split.split_name}")
        self.split_name = split.split_name

    def validate(self, step: int) -> Outcome:
        """Evaluates now (on the evaluating worker) and decides: a new best? stop early?"""
        if not self.evaluates:
            return Outcome()
        metrics = self.evaluator.evaluate(self.eval_dir, step)
        evaluation.write_summaries(self.eval_dir, step, metrics)
        value = metrics[self.metric]
        improved = self.best is None or (
            value > self.best["value"] if self.higher else value < self.best["value"]
        )
        if improved:
            self.best = {"metric": self.metric, "value": value, "step": step, "split": self.split_name}
        self.stale = 0 if improved else self.stale + 1
        stop = bool(self.patience) and self.stale >= self.patience
        best = f"best {self.metric} {self.best['value']:.4f} at step {self.best['step']}"
        messages = [f"validation at step {step}: {self.metric} = {value:.4f} ({best})"]
        if stop:
            messages.append(
                f"Stopping early: {self.metric} has not improved in {self.stale} evaluation(s) since "
                f"step {self.best['step']} (--early_stopping_patience={self.patience})."
            )
        return Outcome(metrics, improved, stop, messages)

    def save_best(self, manager: tf.train.CheckpointManager, step: int, chief: bool) -> None:
        """Writes the best checkpoint (collective: every worker calls it) and, on the chief, its record."""
        manager.save(checkpoint_number=step)
        if chief and self.best is not None:
            path = os.path.join(self.best_dir, BEST_RECORD)
            with tf.io.gfile.GFile(path + ".incomplete", "w") as f:
                json.dump({**self.best, "checkpoint": manager.latest_checkpoint}, f, indent=2)
            tf.io.gfile.rename(path + ".incomplete", path, overwrite=True)


def _read_best(best_dir: str) -> dict | None:
    path = os.path.join(best_dir, BEST_RECORD)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)
