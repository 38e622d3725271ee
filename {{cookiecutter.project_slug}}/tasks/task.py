"""The interface of a task: everything train, eval, infer and export need to know about one.

A task says how a decoded example becomes the net's input and target, what
the loss is, which metrics an evaluation reports (and which way is better),
what a served model returns and how one answer is printed. The entry points
and the training loop call these methods and never name a task. A new task
is a module in ``tasks/`` holding ``TASK = <its Task subclass>``; the
registry (``tasks_factory``) finds it. Every method takes keyword arguments.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Protocol

import numpy as np
import tensorflow as tf

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
      at_serving: eval.py, infer.py and export.py may change it too (a
        setting of how outputs are served); elsewhere it is fixed by the run.
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


class Task(abc.ABC):
    """One task, made for one run: its classes and settings are fixed when it is built.

    Class attributes:
      name: The registry name, also in datasets' info and nets' records.
      requests: ``IMAGES`` or ``FEATURES``: what infer.py and the served model take.
      better: Metric name -> True where higher is better (``--keep_best_by``).
      best_metric: The default of ``--keep_best_by``.
      options: The task's own settings (flags of train.py, eval.py, ...).
      answer_options: Flags of infer.py only, on how an answer is printed or
        drawn (passed to ``format_result`` in its ``request``).
    """

    name: ClassVar[str]
    requests: ClassVar[str] = IMAGES
    better: Mapping[str, bool]  # a class attribute, or a property where it depends on the classes
    best_metric: ClassVar[str]
    options: ClassVar[tuple[TaskOption, ...]] = ()
    answer_options: ClassVar[tuple[TaskOption, ...]] = ()

    def __init__(
        self, *, num_classes: int, labels_to_names: Mapping[int, str], settings: Mapping | None = None
    ):
        """Args:
        num_classes: Classes (or outputs) the net predicts.
        labels_to_names: Class id to name.
        settings: Values of the task's ``options`` (missing ones take their defaults).
        """
        self.num_classes = num_classes
        self.labels_to_names = dict(labels_to_names)
        self.settings = {**self.option_defaults(), **(settings or {})}

    @classmethod
    def option_defaults(cls) -> dict:
        return {option.name: option.default for option in cls.options}

    # --- What every task says -------------------------------------------------------------

    @abc.abstractmethod
    def train_example(self, *, image, label, preprocess: Callable, seed: tf.Tensor) -> tuple:
        """One training example as ``(inputs, target)``; ``seed`` [2] is unique to the example."""

    @abc.abstractmethod
    def eval_example(self, *, image, label, preprocess: Callable) -> tuple:
        """One evaluation example as ``(inputs, labels)``."""

    @abc.abstractmethod
    def loss(self, *, targets, outputs, training: bool) -> tf.Tensor:
        """The per-example float32 loss."""

    @abc.abstractmethod
    def metrics(self) -> Metrics:
        """Fresh streaming metrics for one evaluation."""

    @abc.abstractmethod
    def serve(self, *, outputs, top_k: int) -> dict[str, tf.Tensor]:
        """The named outputs of a served model."""

    @abc.abstractmethod
    def format_result(self, *, row: dict, request: dict) -> dict:
        """One answer of infer.py; ``row`` holds one example's serving outputs as numpy, ``request``
        what infer.py knows about the input (e.g. ``image_size``, ``top_k``)."""

    @abc.abstractmethod
    def csv_header(self, *, top_k: int) -> list[str]:
        """Column names of ``infer.py --output_format=csv``."""

    @abc.abstractmethod
    def csv_rows(self, *, result: dict) -> list[list]:
        """Rows for one answer."""

    # --- What a task may change ------------------------------------------------------------

    def serve_preprocessed(self, *, outputs, top_k: int) -> dict[str, tf.Tensor]:
        """Outputs of the float-input signature (the one TFLite converts); by default ``serve``'s."""
        return self.serve(outputs=outputs, top_k=top_k)

    def summary_images(self, *, inputs, targets) -> tf.Tensor | None:
        """Images to show in TensorBoard at the first step (None: the inputs as they are)."""
        return None

    def describe_labels(self, labels: Iterable) -> dict:
        """Counts over a split's decoded labels, for view_dataset.py."""
        raise NotImplementedError(f"{self.name} has no labels to count")

    def caption(self, *, image: np.ndarray, label) -> tuple[np.ndarray, str]:
        """An example as view_dataset.py shows it: the image (maybe drawn on) and its caption."""
        return image, self.labels_to_names.get(int(label), str(label))
