"""Nets that keras.applications already provides, wrapped to this project's contract.

The application (without its top, ``weights=None`` unless asked) is built on
the first call at the images' shape, so it has no input layer of its own to
feed; ``net(images, training)`` returns ``(logits, end_points)``, the end
points being named blocks of the application plus ``PreLogits`` and
``Logits``. ``weights="imagenet"`` starts from ImageNet weights (a download;
the images must have 3 channels). Weight decay is put on every kernel.
"""

from __future__ import annotations

import re
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


def he_normal_convs(base: keras.Model) -> None:
    """Keras starts VGG Glorot-uniform; with 16 or 19 ReLU layers and no batch norm the signal all
    but vanishes and training sits at chance (0.22 after 500 steps on digits). He-normal keeps it."""
    for layer in base.layers:
        if isinstance(layer, keras.layers.Conv2D):
            layer.kernel.assign(keras.initializers.HeNormal()(layer.kernel.shape))


def zero_residual_branches(base: keras.Model) -> None:
    """Every residual block starts as the identity (Goyal et al. 2017, "zero-init residual").

    The last batch norm's scale of each block (ResNet v1) or the last convolution (v2, whose
    blocks end in a convolution) starts at zero, so a deep net from scratch starts as a shallow
    one; the branch learns from the first step. Without it ResNet v1 101 and 152 learn far
    slower than v1 50 in a short run.
    """
    for layer in base.layers:
        if re.fullmatch(r"conv\d_block\d+_3_bn", layer.name):
            layer.gamma.assign(tf.zeros_like(layer.gamma))
        elif re.fullmatch(r"conv\d_block\d+_3_conv", layer.name) and not any(
            other.name == layer.name[: -len("conv")] + "bn" for other in base.layers
        ):
            layer.kernel.assign(tf.zeros_like(layer.kernel))


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


_RESNET_BLOCKS = ("conv2_block3_out", "conv3_block4_out")
_RESNET_V2_BLOCKS = ("conv2_block3_out", "conv3_block4_out")

_VGG_BLOCKS = ("block3_pool", "block4_pool", "block5_pool")

vgg_16 = builder(keras.applications.VGG16, _VGG_BLOCKS, "vgg_16", 0.5, he_normal_convs)
vgg_19 = builder(keras.applications.VGG19, _VGG_BLOCKS, "vgg_19", 0.5, he_normal_convs)
inception_v3 = builder(keras.applications.InceptionV3, ("mixed2", "mixed7", "mixed10"), "InceptionV3")


def _resnet(application, end_point_layers, name):
    return builder(application, end_point_layers, name, scratch_init=zero_residual_branches)


resnet_v1_50 = _resnet(keras.applications.ResNet50, _RESNET_BLOCKS + ("conv5_block3_out",), "resnet_v1_50")
resnet_v1_101 = _resnet(keras.applications.ResNet101, _RESNET_BLOCKS + ("conv5_block3_out",), "resnet_v1_101")
resnet_v1_152 = _resnet(
    keras.applications.ResNet152,
    ("conv2_block3_out", "conv3_block8_out", "conv5_block3_out"),
    "resnet_v1_152",
)
resnet_v2_50 = _resnet(keras.applications.ResNet50V2, _RESNET_V2_BLOCKS + ("post_relu",), "resnet_v2_50")
resnet_v2_101 = _resnet(keras.applications.ResNet101V2, _RESNET_V2_BLOCKS + ("post_relu",), "resnet_v2_101")
resnet_v2_152 = _resnet(
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
