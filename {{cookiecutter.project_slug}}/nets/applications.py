"""The wrapper that turns a keras.applications model into a net of this project's contract.

The application (without its top, ``weights=None`` unless asked) is built on
the first call at the images' shape, so it has no input layer of its own to
feed; ``net(images, training)`` returns ``(logits, end_points)``, the end
points being named blocks of the application plus ``PreLogits`` and
``Logits``. Weight decay is put on every kernel.

``weights="imagenet"`` starts from Keras' ImageNet weights: the file in
Keras' cache (``$KERAS_HOME/models``, default ``~/.keras/models``) if it is
there, else a download; offline, a ``UserError`` names the file to fetch and
where to put it. ``weights=PATH`` takes a local Keras weights file of the
application without its top (``.h5`` or ``.weights.h5``). Images with one
channel (digits, X-rays) are repeated to three: the published weights are
RGB, and a grey image is the RGB image whose channels are equal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import tensorflow as tf
from tensorflow import keras

from errors import UserError
from nets.building_blocks import classify
from nets.regularizers import l2_regularizer


def keras_cache() -> str:
    """Where Keras keeps downloaded weights: ``$KERAS_HOME/models`` (default ``~/.keras/models``)."""
    return os.path.join(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras")), "models")


def application_body(application: Callable[..., keras.Model], weights: str | None, weight_decay: float,
                     **kwargs) -> keras.Model:  # fmt: skip
    """``application(include_top=False, weights=..., **kwargs)`` with weight decay on its kernels.

    Raises:
      UserError: the weights file is not there, or Keras' ImageNet weights
        are neither in its cache nor downloadable (the message names the file
        and where to put it).
    """
    if weights not in (None, "imagenet") and not tf.io.gfile.exists(weights):
        raise UserError(f"--pretrained={weights}: no such file; pass imagenet or a Keras weights file.")
    try:
        base = application(include_top=False, weights=weights, **kwargs)
    except (OSError, ValueError) as e:
        if weights in (None, "imagenet"):
            raise
        raise UserError(
            f"--pretrained={weights} is not {application.__name__}'s weights without its top "
            f"({str(e).splitlines()[0][:120]}); pass a Keras weights file of that net (.h5, .weights.h5)."
        ) from e
    except Exception as e:  # keras.utils.get_file raises a bare Exception when it cannot download
        url = re.search(r"https?://\S+?\.h5", str(e))
        if weights != "imagenet" or not url:
            raise
        reason = str(e).rsplit(" -- ", 1)[-1][:120]
        raise UserError(
            f"cannot download Keras' ImageNet weights ({reason}): fetch {url.group(0)} "
            f"and put it in {keras_cache()} (set KERAS_HOME to use another folder), or pass "
            "--pretrained=PATH to the file."
        ) from e
    regularizer = l2_regularizer(weight_decay)
    for layer in base.layers if regularizer else []:
        for attribute in ("kernel", "depthwise_kernel"):
            if hasattr(layer, attribute):
                getattr(layer, attribute).regularizer = regularizer
    return base


class ApplicationNet(keras.Model):
    """A keras.applications model as a net: images in, logits and end points out."""

    def __init__(
        self,
        application: Callable[..., keras.Model],
        end_point_layers: tuple[str, ...],
        num_classes: int,
        weight_decay: float = 0.0,
        dropout_keep_prob: float = 0.8,
        weights: str | None = None,
        name: str = "net",
        scratch_init: Callable[[keras.Model], None] | None = None,
        slim_scopes: Callable[[keras.Model], dict] | None = None,
    ):
        super().__init__(name=name)
        self.slim_scopes = slim_scopes
        self.application = application
        self.end_point_layers = tuple(end_point_layers)
        self.weight_decay = weight_decay
        self.pretrained = weights
        self.scratch_init = scratch_init
        self.dropout = keras.layers.Dropout(1.0 - dropout_keep_prob, name="Dropout")
        self.logits = (
            keras.layers.Dense(num_classes, kernel_regularizer=l2_regularizer(weight_decay), name="Logits")
            if num_classes
            else None
        )

    def build(self, input_shape):
        shape = (*input_shape[1:-1], 3)  # grey images are repeated to RGB in call()
        base = application_body(
            self.application, self.pretrained, self.weight_decay, input_shape=shape, pooling="avg"
        )
        if self.scratch_init and not self.pretrained:
            self.scratch_init(base)
        outputs = [base.get_layer(n).output for n in self.end_point_layers] + [base.output]
        self.base = keras.Model(base.inputs, outputs, name=base.name)

    def slim_layers(self) -> dict:
        """Each layer with weights under its TF-Slim scope (``slim_scopes``); the logits alone until the
        net is built."""
        layers = self.slim_scopes(self.base) if hasattr(self, "base") else {}
        return {**layers, "Logits/Conv2d_1c_1x1": self.logits}

    def call(self, images: tf.Tensor, training: bool = False):
        if images.shape[-1] == 1:
            images = tf.image.grayscale_to_rgb(images)
        *blocks, features = self.base(images, training=training)
        end_points = dict(zip(self.end_point_layers, blocks, strict=True))
        end_points["PreLogits"] = features
        return classify(features, self.logits, end_points, self.dropout, training)


def by_name(slim_scope: Callable[[str], str | None]) -> Callable[[keras.Model], dict]:
    """``slim_scopes`` of an application whose layers' names say their TF-Slim scope (None: none)."""
    return lambda base: {s: layer for layer in base.layers if (s := slim_scope(layer.name))}


def builder(application, end_point_layers, default_name, dropout_keep_prob=0.8, scratch_init=None,
            slim_scopes=None):  # fmt: skip
    """A ``builder(num_classes, weight_decay, weights=None)`` for the nets factory.

    ``slim_scopes(application) -> {TF-Slim scope: layer}``, for applications that are TF-Slim's net
    layer for layer, so that TF-Slim's checkpoints load into them.
    """

    def build(
        num_classes: int = 1000, weight_decay: float = 0.0, weights: str | None = None
    ) -> ApplicationNet:
        return ApplicationNet(
            application,
            end_point_layers,
            num_classes,
            weight_decay,
            dropout_keep_prob,
            weights,
            name=default_name,
            scratch_init=scratch_init,
            slim_scopes=slim_scopes,
        )

    return build
