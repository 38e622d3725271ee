"""Nets that keras.applications already provides, wrapped to this project's contract.

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
    ):
        super().__init__(name=name)
        self.application = application
        self.end_point_layers = tuple(end_point_layers)
        self.weight_decay = weight_decay
        self.pretrained = weights
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


def builder(application, end_point_layers, default_name, dropout_keep_prob=0.8):
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
        )

    return build


_RESNET_BLOCKS = ("conv2_block3_out", "conv3_block4_out")
_RESNET_V2_BLOCKS = ("conv2_block3_out", "conv3_block4_out")

vgg_16 = builder(keras.applications.VGG16, ("block3_pool", "block4_pool", "block5_pool"), "vgg_16", 0.5)
vgg_19 = builder(keras.applications.VGG19, ("block3_pool", "block4_pool", "block5_pool"), "vgg_19", 0.5)
inception_v3 = builder(keras.applications.InceptionV3, ("mixed2", "mixed7", "mixed10"), "InceptionV3")
resnet_v1_50 = builder(keras.applications.ResNet50, _RESNET_BLOCKS + ("conv5_block3_out",), "resnet_v1_50")
resnet_v1_101 = builder(keras.applications.ResNet101, _RESNET_BLOCKS + ("conv5_block3_out",), "resnet_v1_101")
resnet_v1_152 = builder(
    keras.applications.ResNet152,
    ("conv2_block3_out", "conv3_block8_out", "conv5_block3_out"),
    "resnet_v1_152",
)
resnet_v2_50 = builder(keras.applications.ResNet50V2, _RESNET_V2_BLOCKS + ("post_relu",), "resnet_v2_50")
resnet_v2_101 = builder(keras.applications.ResNet101V2, _RESNET_V2_BLOCKS + ("post_relu",), "resnet_v2_101")
resnet_v2_152 = builder(
    keras.applications.ResNet152V2, ("conv2_block3_out", "conv3_block8_out", "post_relu"), "resnet_v2_152"
)
mobilenet_v1 = builder(
    keras.applications.MobileNet,
    ("conv_pw_5_relu", "conv_pw_11_relu", "conv_pw_13_relu"),
    "MobilenetV1",
    0.999,
)
mobilenet_v2 = builder(
    keras.applications.MobileNetV2, ("block_5_add", "block_12_add", "out_relu"), "MobilenetV2", 0.8
)
