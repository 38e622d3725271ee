"""Where training runs: one device, or a copy of the model on each of several.

TF-Slim's model_deploy.py cloned the graph per device by hand; in TF2 this is
a ``tf.distribute`` strategy. Build the model and optimizer inside
``strategy.scope()`` and batch the input with the global batch size.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class DeploymentConfig:
    """How to place the model.

    Attributes:
      num_clones: Copies of the model, one per device, each taking a
        ``--batch_size`` share of the global batch.
      clone_on_cpu: Put the copies on logical CPU devices even if GPUs exist
        (for trying out several devices on a laptop, and for tests).
    """

    num_clones: int = 1
    clone_on_cpu: bool = False


class DeploymentError(Exception):
    """The requested placement cannot be made on this machine."""


def create_strategy(config: DeploymentConfig) -> tf.distribute.Strategy:
    """Returns the strategy for ``config``.

    One clone uses TensorFlow's default strategy (no overhead); several make a
    MirroredStrategy over that many GPUs, or over logical CPU devices.

    Raises:
      DeploymentError: there are fewer GPUs than clones, or the CPU can no
        longer be split because TensorFlow has already started.
    """
    if config.num_clones < 1:
        raise DeploymentError(f"--num_clones must be at least 1, got {config.num_clones}")
    if config.num_clones == 1:
        return tf.distribute.get_strategy()
    gpus = tf.config.list_physical_devices("GPU")
    if gpus and not config.clone_on_cpu:
        if len(gpus) < config.num_clones:
            raise DeploymentError(
                f"--num_clones={config.num_clones} but only {len(gpus)} GPU(s) are visible; "
                "lower --num_clones or pass --clone_on_cpu."
            )
        devices = [f"/gpu:{i}" for i in range(config.num_clones)]
    else:
        _split_cpu(config.num_clones)
        devices = [f"/cpu:{i}" for i in range(config.num_clones)]
    return tf.distribute.MirroredStrategy(devices)


def _split_cpu(num_devices: int) -> None:
    """Makes the one physical CPU appear as ``num_devices`` logical devices."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices
        )
    except RuntimeError as e:
        # Listing logical devices starts the runtime, so look only now.
        if len(tf.config.list_logical_devices("CPU")) >= num_devices:
            return
        raise DeploymentError(
            f"cannot split the CPU into {num_devices} devices after TensorFlow has "
            "started; create the strategy before running any TensorFlow op."
        ) from e
