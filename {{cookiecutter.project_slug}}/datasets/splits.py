"""The split contract: what a dataset module's ``get_split`` returns, and its error."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import tensorflow as tf

from errors import UserError


class DatasetError(UserError):
    """A dataset is missing, incomplete or corrupt; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class DatasetSplit:
    """One split of a dataset: what it holds and how its records decode.

    Attributes:
      dataset_name: The dataset's registry name.
      split_name: e.g. ``train`` or ``test``.
      num_samples: Number of examples in the split.
      task: A name in ``tasks.tasks_factory`` (e.g. classification, regression).
      num_classes: Number of classes (or outputs, for regression).
      labels_to_names: Class id to class name (empty for regression).
      image_shape: ``(height, width, channels)`` of the stored images (height
        and width None when they differ), or the feature shape for data that
        are not images (``(1,)`` for sine).
      records: Returns the split's undecoded records, always in the same order.
      decode: Maps one record to ``(image, label)``; the label's structure is
        the task's (e.g. a class id, or a vector).
      files: The TFRecord files behind ``records`` (empty for in-memory data).
      info: The dataset's ``dataset_info.json``, where it has one.
      mirror_invariant: Whether an image's mirror image has the same label
        (photos: yes; digits and text: no), so training may flip images.
    """

    dataset_name: str
    split_name: str
    num_samples: int
    task: str
    num_classes: int
    labels_to_names: dict[int, str]
    image_shape: tuple[int | None, ...]
    records: Callable[[], tf.data.Dataset]
    decode: Callable[..., tuple]
    files: tuple[str, ...] = ()
    info: dict = dataclasses.field(default_factory=dict)
    mirror_invariant: bool = True
