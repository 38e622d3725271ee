"""The record of a task: everything train, eval, infer and export need to know about it.

A task says how a decoded example becomes the net's input and target, what
the loss is, which metrics an evaluation reports (and which way is better),
what a served model returns and how one answer is printed. The entry points
call these functions and never name a task; a new task is a module with a
``TASK = TaskSpec(...)`` and one line in ``tasks_factory.tasks_map``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import tensorflow as tf

if TYPE_CHECKING:
    from deployment.run_config import RunConfig

IMAGES = "images"  # requests are image files (encoded bytes)
FEATURES = "features"  # requests are vectors of numbers


@dataclasses.dataclass(frozen=True)
class TaskOption:
    """A setting of a task, offered as a flag (``--<name>``) and stored in the run record.

    Attributes:
      name: The flag and key name.
      type: Parses the flag's text.
      default: Used when the flag is not given.
      help: The flag's help text.
      at_serving: eval.py, infer.py and export.py may change it too (e.g.
        detection's NMS thresholds); elsewhere it is fixed by the run.
    """

    name: str
    type: Callable[[str], Any]
    default: Any
    help: str
    at_serving: bool = False


class Metrics(Protocol):
    """Streaming metrics over an evaluation, one batch at a time."""

    def batch(self, labels, outputs) -> dict[str, tf.Tensor]:
        """Reduces one batch to what ``update`` needs (traced in a tf.function)."""

    def update(self, reduced: dict[str, np.ndarray]) -> None:
        """Adds one reduced batch."""

    def result(self, eval_dir: str | None, step: int) -> dict:
        """The metrics as a JSON-able dict; may also write pictures into ``eval_dir``."""


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """One task.

    Attributes:
      name: The registry name, also stored in datasets' and nets' records.
      requests: ``IMAGES`` or ``FEATURES``: what infer.py and the served model take.
      train_example: ``(image, label, preprocess, seed, config) -> (inputs, target)``
        for one training example; ``preprocess`` is the run's preprocessing
        function and ``seed`` a stateless seed [2] unique to the example.
      eval_example: ``(image, label, preprocess, config) -> (inputs, labels)``.
      loss: ``(labels, outputs, options, training) -> per-example float32 loss``;
        ``options`` are the run's task settings.
      metrics: ``(config) -> Metrics`` for one evaluation.
      better: Metric name -> True where higher is better (``--keep_best_by``).
      best_metric: The default of ``--keep_best_by``.
      serve: ``(outputs, config, top_k) -> dict`` of named serving outputs.
      serve_preprocessed: The same for the float-input signature (the one
        TFLite converts); None: ``serve``.
      format_result: ``(row, config, request) -> dict``, one answer of infer.py;
        ``row`` holds one example's serving outputs as numpy, ``request`` what
        infer.py knows about the input (e.g. ``image_size``).
      csv_header: ``(top_k) -> column names`` of ``infer.py --output_format=csv``.
      csv_rows: ``(result) -> rows`` for one answer.
      options: The task's own settings.
      summary_images: ``(inputs, targets, config) -> images`` to show in
        TensorBoard at the first step (e.g. with the boxes drawn); None: the
        inputs as they are.
      draw: ``(uint8 image, answer) -> uint8 image`` for ``infer.py
        --output_dir`` (e.g. the boxes drawn); None: the task draws nothing.
    """

    name: str
    requests: str
    train_example: Callable
    eval_example: Callable
    loss: Callable[..., tf.Tensor]
    metrics: Callable[[RunConfig], Metrics]
    better: Mapping[str, bool]
    best_metric: str
    serve: Callable[..., dict]
    format_result: Callable[..., dict]
    csv_header: Callable[[int], list[str]]
    csv_rows: Callable[[dict], list[list]]
    serve_preprocessed: Callable[..., dict] | None = None
    options: tuple[TaskOption, ...] = ()
    summary_images: Callable | None = None
    draw: Callable | None = None

    def option_defaults(self) -> dict:
        return {option.name: option.default for option in self.options}
