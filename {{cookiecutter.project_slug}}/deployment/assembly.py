"""What a run record is made of, built: the net, its preprocessing and its task.

Everything that turns a ``RunConfig`` into working parts is here, above the
record (plain data) and above the nets, preprocessing and tasks factories it
draws on. Training, evaluation and serving all build through these
functions, so a net is built the same way wherever it runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import tensorflow as tf
from tensorflow import keras

from datasets import imagenet_names
from deployment import checkpointing
from deployment.run_config import CheckpointError, RunConfig
from errors import UserError
from nets import nets_factory, slim_checkpoint
from nets.net_spec import NetSpec
from preprocessing import preprocessing_factory
from tasks import tasks_factory
from tasks.task import Task


def net_spec(config: RunConfig) -> NetSpec:
    return nets_factory.get_net_spec(config.model_name)


def task(config: RunConfig) -> Task:
    """The run's task, with its classes, settings and (for nets that have them) the anchors at its size."""
    spec = net_spec(config)
    extras = {"anchors": spec.anchors.at(config.image_size)} if spec.anchors is not None else {}
    return tasks_factory.get_task(config.task)(
        num_classes=config.num_classes,
        labels_to_names=config.labels_to_names,
        settings=config.task_options,
        **extras,
    )


def preprocessing(config: RunConfig, is_training: bool) -> Callable[..., tf.Tensor]:
    """``fn(image, seed=None)``: the run's preprocessing at the net's input size."""
    fn = preprocessing_factory.get_preprocessing(config.preprocessing_name, is_training=is_training)
    if is_training:
        fn = functools.partial(fn, random_flip=config.random_flip)
    if not config.image_size:
        return fn
    return functools.partial(fn, output_height=config.image_size, output_width=config.image_size)


def build_net(config: RunConfig, weights: str | None = None) -> keras.Model:
    """Builds the net with its variables (``weights``: e.g. "imagenet" to start from)."""
    options = {"weights": weights} if weights else {}
    try:
        net = nets_factory.get_network(config.model_name, config.num_classes, config.weight_decay, **options)
    except (ValueError, UserError) as e:  # e.g. --pretrained for a net with no published weights
        raise CheckpointError(f"cannot start {config.model_name!r} from {weights!r} weights: {e}") from e
    net(tf.zeros((1, *config.input_shape)), training=False)  # creates the layers and variables
    if config.batch_norm_decay is not None:
        set_batch_norm_decay(net, config.batch_norm_decay)
    check_checkpointable(net)
    return net


def load_net(checkpoint_path: str) -> tuple[keras.Model, RunConfig, str]:
    """Rebuilds the net of a checkpoint (file or directory) and restores its weights.

    Returns:
      ``(net, config, resolved_path)``; ``config.step`` is the checkpoint's step.
    """
    path = checkpointing.resolve_checkpoint(checkpoint_path)
    config = read_config(path)
    net = build_net(config)
    restore(net, path, config)
    return net, config, path


def read_config(path: str) -> RunConfig:
    """The run record of a checkpoint (a resolved prefix); a TF-Slim checkpoint's is ``slim_run_config``."""
    return (
        slim_run_config(path) if slim_checkpoint.is_slim_checkpoint(path) else checkpointing.read_config(path)
    )


def restore(net: keras.Model, path: str, config: RunConfig) -> None:
    """Reads a checkpoint's weights (this project's or TF-Slim's) into the net ``config`` built."""
    if slim_checkpoint.is_slim_checkpoint(path):
        slim_checkpoint.load(net, path, config.model_name, excluded=lambda variable: False)
    else:
        checkpointing.restore(checkpointing.weights_checkpoint(net, config), path, config, partial=True)


def slim_run_config(path: str) -> RunConfig:
    """The record of a TF-Slim checkpoint (which has none): its net at its size, ImageNet's class names.

    Used to apply a model zoo checkpoint as it is (infer.py, export.py) or to
    evaluate it; class names are ImageNet's when it has 1000 or 1001 classes.
    """
    name, num_classes, channels = slim_checkpoint.identify(path)
    spec = nets_factory.get_net_spec(name)
    names = imagenet_names.labels_to_names(num_classes) or {k: f"class {k}" for k in range(num_classes)}
    return RunConfig(
        model_name=name, dataset_name="imagenet", dataset_dir=None, dataset_split_name="validation",
        task=spec.task, num_classes=num_classes, labels_to_names=names,
        image_shape=(spec.default_image_size, spec.default_image_size, channels),
        image_size=spec.default_image_size, preprocessing_name=spec.default_preprocessing,
    )  # fmt: skip


def set_batch_norm_decay(net: keras.Model, decay: float) -> None:
    """Sets the moving-average decay (Keras' momentum) of every batch-norm layer in the net.

    Inference uses the moving statistics. Keras' keras.applications nets keep
    them with momentum 0.99 or 0.999; after a few hundred steps (a short run,
    a fine-tuning) 0.999 leaves them mostly at their initial values, and a net
    that trains well predicts one class in eval, infer and export.
    """
    for layer in net._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = decay


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
