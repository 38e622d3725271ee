"""The record of one net: everything the rest of the project needs to know about it.

Each net module declares its records as ``NETS = {name: NetSpec(...)}``;
``nets_factory`` finds them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from tensorflow import keras

from tasks import names


@dataclasses.dataclass(frozen=True)
class NetSpec:
    """One net.

    Attributes:
      builder: ``builder(num_classes=..., weight_decay=...)`` returns the model.
      default_image_size: Input height and width (None for feature vectors).
      default_preprocessing: Name in ``preprocessing_factory``.
      task: The task it serves (a name in ``tasks.tasks_factory``).
      recipe: ``train.py`` flag values that train this net from scratch, used
        where the flag is not given (e.g. ``recipes.RMSPROP``).
      pretrained_preprocessing: The preprocessing its published ImageNet
        weights expect, used with ``--pretrained`` (None: the default one).
      anchors: What its outputs are relative to, for nets whose task needs
        that (None for the others); the task gets them at the run's size.
      min_image_size: The smallest input side it trains reliably at (None: any
        size it accepts). train.py warns below it; the learn tests and the zoo
        train at it.
    """

    builder: Callable[..., keras.Model]
    default_image_size: int | None
    default_preprocessing: str
    task: str = names.CLASSIFICATION
    recipe: Mapping = dataclasses.field(default_factory=dict)
    pretrained_preprocessing: str | None = None
    anchors: object | None = None
    min_image_size: int | None = None
