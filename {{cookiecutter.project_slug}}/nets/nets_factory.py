"""Maps net names to one record each: builder, default size, preprocessing, task, recipe.

To add a net, write ``nets/<name>.py`` with a ``keras.Model`` whose call
returns ``(logits, end_points)``, and add its record to ``networks_map``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from tensorflow import keras

from nets import lenet, regression


@dataclasses.dataclass(frozen=True)
class NetSpec:
    """Everything the rest of the project needs to know about one net.

    Attributes:
      builder: ``builder(num_classes=..., weight_decay=...)`` returns the model.
      default_image_size: Input height and width (None for feature vectors).
      default_preprocessing: Name in ``preprocessing_factory``.
      task: ``classification`` or ``regression`` (picks the loss and metrics).
      default_optimizer: ``train.py --optimizer`` when the flag is not given.
      default_learning_rate: ``train.py --learning_rate`` when not given.
    """

    builder: Callable[..., keras.Model]
    default_image_size: int | None
    default_preprocessing: str
    task: str = "classification"
    default_optimizer: str = "momentum"
    default_learning_rate: float = 0.01


networks_map: dict[str, NetSpec] = {
    "lenet": NetSpec(lenet.LeNet, 28, "lenet"),
    "regression": NetSpec(
        regression.Regression,
        None,
        "identity",
        "regression",
        default_optimizer="adam",
        default_learning_rate=0.003,
    ),
}


def get_net_spec(name: str) -> NetSpec:
    """Returns the record of net ``name``.

    Raises:
      ValueError: ``name`` is unknown; the message lists the known names.
    """
    if name not in networks_map:
        raise ValueError(f"unknown net {name!r}; known nets: {', '.join(sorted(networks_map))}.")
    return networks_map[name]


def get_network(name: str, num_classes: int, weight_decay: float = 0.0) -> keras.Model:
    """Builds net ``name`` (its variables are created on its first call)."""
    return get_net_spec(name).builder(num_classes=num_classes, weight_decay=weight_decay)
