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
      anchors: What its outputs are relative to, for nets whose task needs
        that (None for the others); the task gets them at the run's size.
      min_image_size: The smallest input side it trains reliably at (None: any
        size it accepts). train.py warns below it; the learn tests and the zoo
        train at it.
      slim_scope: TF-Slim's variable scope for this net (``LeNet``, ``CifarNet``)
        where the net is TF-Slim's architecture: its model zoo checkpoints then
        load into it (``nets/slim_checkpoint.py``); the net's
        ``slim_layers()`` names each layer's TF-Slim scope. None: no TF-Slim
        checkpoint fits it.
    """

    builder: Callable[..., keras.Model]
    default_image_size: int | None
    default_preprocessing: str
    task: str = names.CLASSIFICATION
    recipe: Mapping = dataclasses.field(default_factory=dict)
    anchors: object | None = None
    min_image_size: int | None = None
    slim_scope: str | None = None
