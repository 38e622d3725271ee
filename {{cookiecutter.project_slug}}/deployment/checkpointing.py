"""Checkpoints that describe themselves.

Every checkpoint ``train.py`` writes holds, beside the net, the optimizer and
the step, a ``config`` string: the JSON settings of the run that made it (net,
dataset, classes, label names, image size, preprocessing). ``eval.py`` and
``infer.py`` rebuild the net from that alone.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf
from tensorflow import keras

from nets import nets_factory

CONFIG_KEY = "config/.ATTRIBUTES/VARIABLE_VALUE"
STEP_KEY = "step/.ATTRIBUTES/VARIABLE_VALUE"


class CheckpointError(Exception):
    """A checkpoint is missing, foreign, or does not match the net."""


def resolve_checkpoint(path: str) -> str:
    """Returns the checkpoint prefix for a file prefix or a directory (its latest).

    Raises:
      CheckpointError: nothing there is a checkpoint.
    """
    if os.path.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(
                f"no checkpoint in {path}: train first with "
                f"`python train.py --train_dir={path} ...`, or pass a checkpoint file."
            )
        return latest
    if tf.io.gfile.exists(path + ".index"):
        return path
    raise CheckpointError(f"{path} is neither a checkpoint (no {path}.index) nor a directory holding one.")


def read_config(checkpoint: str) -> dict:
    """Returns the run settings stored in ``checkpoint`` (a resolved prefix)."""
    reader = tf.train.load_checkpoint(checkpoint)
    if not reader.has_tensor(CONFIG_KEY):
        raise CheckpointError(
            f"{checkpoint} holds no run settings: it was not written by this project's "
            "train.py, so the net it belongs to is unknown."
        )
    config = json.loads(reader.get_tensor(CONFIG_KEY).decode("utf-8"))
    config["step"] = int(reader.get_tensor(STEP_KEY))
    config["labels_to_names"] = {int(k): v for k, v in config["labels_to_names"].items()}
    return config


def input_shape(config: dict) -> tuple[int, ...]:
    """The shape of one net input: ``(size, size, channels)``, or the feature shape."""
    size = config["image_size"]
    if size:
        return (size, size, config["image_shape"][-1])
    return tuple(config["image_shape"])


def build_net(config: dict, weight_decay: float = 0.0, weights: str | None = None) -> keras.Model:
    """Builds the net ``config`` names and creates its variables (``weights``: e.g. "imagenet")."""
    options = {"weights": weights} if weights else {}
    try:
        net = nets_factory.get_network(config["model_name"], config["num_classes"], weight_decay, **options)
    except ValueError as e:  # e.g. --pretrained for a net written here, which has no published weights
        raise CheckpointError(f"cannot start {config['model_name']!r} from {weights!r} weights: {e}") from e
    net(tf.zeros((1, *input_shape(config))), training=False)
    check_checkpointable(net)
    return net


def check_checkpointable(net: keras.Model) -> None:
    """Fails if some of the net's variables would be left out of its checkpoints.

    tf.train.Checkpoint saves what it reaches through object attributes; under
    Keras 3 a layer kept only in a Python list or dict is not reached, and its
    weights would silently restore as fresh random values.
    """
    reached = {id(obj) for obj in tf.train.TrackableView(net).descendants()}
    lost = [w.path for w in net.weights if id(w) not in reached]
    if lost:
        raise CheckpointError(
            f"net {net.name!r} has variables a checkpoint would not save: {', '.join(lost)}. "
            "Assign each layer to its own attribute (layers kept in a list or dict are "
            "not tracked by tf.train.Checkpoint)."
        )


def restore(checkpoint: tf.train.Checkpoint, path: str, config: dict, partial: bool) -> None:
    """Restores ``path`` into ``checkpoint``, turning shape mismatches into a clear error.

    Args:
      checkpoint: What to restore into (its variables must exist already).
      path: A resolved checkpoint prefix.
      config: The settings the caller built the net from, for the message.
      partial: Allow the checkpoint to hold more than ``checkpoint`` (e.g. the
        optimizer, when only the net is restored).
    """
    try:
        status = checkpoint.read(path)
        if partial:
            status.expect_partial()
        status.assert_existing_objects_matched()
    except (ValueError, AssertionError) as e:
        raise CheckpointError(
            f"{path} does not match net {config['model_name']!r} with "
            f"{config['num_classes']} outputs at input shape {input_shape(config)}: {e}"
        ) from e


def weights_checkpoint(net: keras.Model, config: dict) -> tf.train.Checkpoint:
    """What to restore a net's weights from: the moving average when the run kept one."""
    if config.get("moving_average_decay"):
        return tf.train.Checkpoint(ema_model=net)
    return tf.train.Checkpoint(model=net)


def load_net(checkpoint_path: str) -> tuple[keras.Model, dict, str]:
    """Rebuilds the net of a checkpoint (file or directory) and restores its weights.

    Returns:
      ``(net, config, resolved_path)``; ``config["step"]`` is the checkpoint's step.
    """
    path = resolve_checkpoint(checkpoint_path)
    config = read_config(path)
    net = build_net(config)
    restore(weights_checkpoint(net, config), path, config, partial=True)
    return net, config, path
