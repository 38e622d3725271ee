"""The one serving path: the functions that turn requests into answers, built once.

``Serving`` wraps a trained net and its run record. Its endpoints take either
encoded image bytes of any size (decoding and the net's eval preprocessing
happen inside) or inputs already preprocessed (float images, or feature
vectors), run the net and return the task's named outputs (a classifier's
probabilities and top classes, a regressor's predictions, ...).

``export.py`` saves exactly these functions as the SavedModel's signatures,
and ``infer.py --checkpoint_path`` calls them in-process, so a checkpoint and
its export answer the same by construction. ``load`` gives infer.py either
one behind the same interface.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable

import numpy as np
import tensorflow as tf
from tensorflow import keras

from datasets import example_codec
from deployment import assembly
from deployment.run_config import CheckpointError, RunConfig
from errors import cause
from tasks.task import IMAGES

EXPORT_CONFIG = "export_config.json"


class Serving:
    """Serving endpoints of a net: ``{name: (python function, input signature)}``."""

    def __init__(self, net: keras.Model, config: RunConfig, top_k: int = 5):
        self.net, self.config, self.top_k = net, config, top_k
        self.task = assembly.task(config)
        self.preprocess = assembly.preprocessing(config, is_training=False)

    def decode(self, encoded: tf.Tensor) -> tf.Tensor:
        """One encoded image as uint8 [H, W, C] with the net's channel count."""
        return example_codec.decode_image(encoded, self.config.input_shape[-1])

    def answer_preprocessed(self, inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        outputs, _ = self.net(inputs, training=False)
        return self.task.serve_preprocessed(outputs=outputs, top_k=self.top_k)

    def answer_encoded(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        spec = tf.TensorSpec(self.config.input_shape, tf.float32)
        inputs = tf.map_fn(lambda e: self.preprocess(self.decode(e)), images, fn_output_signature=spec)
        outputs, _ = self.net(inputs, training=False)
        return self.task.serve(outputs=outputs, top_k=self.top_k)

    def endpoints(self) -> dict[str, tuple[Callable, list[tf.TensorSpec]]]:
        """The signatures: ``serving_default`` and, for images, ``serving_preprocessed``."""
        floats = [tf.TensorSpec([None, *self.config.input_shape], tf.float32, name="images")]
        if self.task.requests != IMAGES:
            return {
                "serving_default": (
                    self.answer_preprocessed,
                    [tf.TensorSpec(floats[0].shape, tf.float32, name="features")],
                )
            }
        return {
            "serving_default": (self.answer_encoded, [tf.TensorSpec([None], tf.string, name="images")]),
            "serving_preprocessed": (self.answer_preprocessed, floats),
        }

    @functools.cached_property
    def functions(self) -> dict[str, Callable]:
        """The endpoints as tf.functions, to call in this process."""
        return {name: tf.function(fn, input_signature=spec) for name, (fn, spec) in self.endpoints().items()}


class Served:
    """A model that answers requests: from a checkpoint or from an exported SavedModel.

    Attributes:
      config: The run record of the model.
      task: The run's task (how an answer is printed).
      answer: ``answer(batch) -> {name: numpy array}`` through ``serving_default``
        (encoded bytes for image tasks, a float array for features).
    """

    def __init__(self, config: RunConfig, answer: Callable[[object], dict[str, np.ndarray]]):
        self.config, self.answer = config, answer
        self.task = assembly.task(config)
        channels = config.input_shape[-1]
        self._decode = tf.function(
            lambda e: tf.shape(example_codec.decode_image(e, channels))[:2],
            input_signature=[tf.TensorSpec([], tf.string)],
        )

    def image_size(self, encoded: bytes) -> tuple[int, int]:
        """Height and width of one encoded image, decoded as the model decodes it.

        Raises:
          tf.errors.InvalidArgumentError: the bytes are no image the model can read.
        """
        height, width = self._decode(tf.constant(encoded)).numpy()
        return int(height), int(width)


def load(
    checkpoint_path: str | None = None,
    saved_model_dir: str | None = None,
    top_k: int = 5,
    task_overrides: dict | None = None,
) -> Served:
    """The model of a checkpoint (through ``Serving``) or of a SavedModel written by export.py."""
    if checkpoint_path:
        net, config, _ = assembly.load_net(checkpoint_path)
        config = with_task_overrides(config, task_overrides)
        default = Serving(net, config, top_k).functions["serving_default"]
        return Served(config, lambda batch: {k: v.numpy() for k, v in default(tf.constant(batch)).items()})
    saved_model_dir = newest_version(saved_model_dir)
    config = read_export_config(saved_model_dir)
    if task_overrides:
        raise CheckpointError(
            f"{', '.join('--' + k for k in task_overrides)}: a SavedModel keeps the settings it was "
            "exported with; export again with them (or use --checkpoint_path)."
        )
    try:
        signature = tf.saved_model.load(saved_model_dir).signatures["serving_default"]
    except (OSError, KeyError, IndexError, tf.errors.OpError) as e:
        # A short variables file is IndexError, a checksum mismatch DataLossError.
        raise CheckpointError(
            f"{saved_model_dir} is not a SavedModel export.py wrote, or is damaged ({cause(e)}); "
            "export the model again with export.py"
        ) from e
    name = next(iter(signature.structured_input_signature[1]))
    return Served(
        config, lambda batch: {k: v.numpy() for k, v in signature(**{name: tf.constant(batch)}).items()}
    )


def with_task_overrides(config: RunConfig, overrides: dict | None) -> RunConfig:
    """The record with the task settings eval, infer and export may change (``TaskOption.at_serving``)."""
    if not overrides:
        return config
    return dataclasses.replace(config, task_options={**config.task_options, **overrides})


def versions(model_dir: str) -> list[int]:
    """The numbered exports in a model's folder, in TF Serving's layout (``<model_dir>/<version>/``)."""
    names = [n.rstrip("/") for n in tf.io.gfile.listdir(model_dir)] if tf.io.gfile.isdir(model_dir) else []
    return sorted(int(n) for n in names if n.isdigit())


def newest_version(model_dir: str) -> str:
    """A model's folder -> its newest version's SavedModel; a SavedModel's own folder as it is."""
    found = [] if tf.io.gfile.exists(os.path.join(model_dir, EXPORT_CONFIG)) else versions(model_dir)
    return os.path.join(model_dir, str(found[-1])) if found else model_dir


def read_export_config(saved_model_dir: str) -> RunConfig:
    path = os.path.join(saved_model_dir, EXPORT_CONFIG)
    if not tf.io.gfile.exists(path):
        raise CheckpointError(
            f"{saved_model_dir} is not a SavedModel written by export.py (no {EXPORT_CONFIG})"
        )
    try:
        with tf.io.gfile.GFile(path) as f:
            record = json.load(f)
        return RunConfig.from_json(json.dumps(record["run"]), record.get("step", 0))
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path} is damaged ({e}); export the model again with export.py") from e
