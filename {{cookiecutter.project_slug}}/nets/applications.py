"""The wrapper that turns a keras.applications model into a net of this project's contract.

The application (without its top, ``weights=None`` unless asked) is built on
the first call at the images' shape, so it has no input layer of its own to
feed; ``net(images, training)`` returns ``(logits, end_points)``, the end
points being named blocks of the application plus ``PreLogits`` and
``Logits``. ``weights="imagenet"`` starts from ImageNet weights (a download;
the images must have 3 channels). Weight decay is put on every kernel.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf
from tensorflow import keras

from nets.regularizers import l2_regularizer


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
    ):
        super().__init__(name=name)
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
        base = self.application(
            include_top=False, weights=self.pretrained, input_shape=tuple(input_shape[1:]), pooling="avg"
        )
        if self.scratch_init and not self.pretrained:
            self.scratch_init(base)
        regularizer = l2_regularizer(self.weight_decay)
        if regularizer:
            for layer in base.layers:
                for attribute in ("kernel", "depthwise_kernel"):
                    if hasattr(layer, attribute):
                        getattr(layer, attribute).regularizer = regularizer
        outputs = [base.get_layer(n).output for n in self.end_point_layers] + [base.output]
        self.base = keras.Model(base.inputs, outputs, name=base.name)

    def call(self, images: tf.Tensor, training: bool = False):
        *blocks, features = self.base(images, training=training)
        end_points = dict(zip(self.end_point_layers, blocks, strict=True))
        end_points["PreLogits"] = features
        if self.logits is None:
            return features, end_points
        logits = end_points["Logits"] = self.logits(self.dropout(features, training=training))
        end_points["Predictions"] = tf.nn.softmax(logits)
        return logits, end_points


def builder(application, end_point_layers, default_name, dropout_keep_prob=0.8, scratch_init=None):
    """A ``builder(num_classes, weight_decay, weights=None)`` for the nets factory."""

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
        )

    return build
