"""SSD300 on VGG16, as in the SSD paper and SSD-Tensorflow.

VGG16's convolutions (pool5 3x3/1), conv6 dilated by 6, conv7 1x1, and the
extra blocks conv8 to conv11; predictions from conv4_3 (L2-normalised with a
learned scale, 20 at first), conv7, conv8, conv9, conv10 and conv11: 38, 19,
10, 5, 3 and 1 cells a side at 300 pixels, 4 or 6 anchors per cell, 8,732
anchors. The VGG layers carry Keras' VGG16 names, so ``--pretrained=imagenet``
starts them from its ImageNet weights.
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets.net_spec import NetSpec
from nets.regularizers import l2_regularizer
from nets.ssd_common import RECIPE, Heads, halvings
from tasks.box_ops import DETECTION, AnchorLayer, AnchorSpec

_VGG = (("block1", 64, 2), ("block2", 128, 2), ("block3", 256, 3), ("block4", 512, 3), ("block5", 512, 3))
_WIDE = (2.0, 0.5, 3.0, 1.0 / 3.0)


def feature_map_sizes(image_size: int) -> list[int]:
    conv4 = halvings(image_size, 3)[-1]
    conv7, conv8, conv9 = halvings(conv4, 3)
    if conv9 < 5:
        raise ValueError(f"ssd_vgg_300 needs images of at least 258 pixels, got {image_size}")
    return [conv4, conv7, conv8, conv9, conv9 - 2, conv9 - 4]


# SSD-Tensorflow's anchor sizes at 300 pixels: 21, 45, 99, 153, 207, 261 and 315.
ANCHORS = AnchorSpec(
    layers=(
        AnchorLayer(21 / 300, 45 / 300, (2.0, 0.5)),
        AnchorLayer(45 / 300, 99 / 300, _WIDE),
        AnchorLayer(99 / 300, 153 / 300, _WIDE),
        AnchorLayer(153 / 300, 207 / 300, _WIDE),
        AnchorLayer(207 / 300, 261 / 300, (2.0, 0.5)),
        AnchorLayer(261 / 300, 315 / 300, (2.0, 0.5)),
    ),
    feature_map_sizes=feature_map_sizes,
)


class L2Normalization(keras.layers.Layer):
    """Scales each location's feature vector to unit length, times a learned per-channel scale."""

    def __init__(self, initial_scale: float = 20.0, name: str = "conv4_3_norm"):
        super().__init__(name=name)
        self.initial_scale = initial_scale

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale",
            shape=(input_shape[-1],),
            initializer=keras.initializers.Constant(self.initial_scale),
        )

    def call(self, x):
        return tf.math.l2_normalize(x, axis=-1) * tf.cast(self.scale, x.dtype)


class SSDVgg300(keras.Model):
    """``net(images) -> ({"class_logits", "box_encodings"}, end_points)``."""

    default_image_size = 300

    def __init__(self, num_classes: int = 20, weight_decay: float = 0.0, name: str = "ssd_vgg_300"):
        super().__init__(name=name)
        reg = l2_regularizer(weight_decay)

        def conv(filters, kernel, layer_name, **kwargs):
            layer = keras.layers.Conv2D(
                filters, kernel, padding=kwargs.pop("padding", "same"), activation="relu",
                kernel_regularizer=reg, name=layer_name, **kwargs,
            )  # fmt: skip
            setattr(self, layer_name, layer)  # one attribute per layer, for tf.train.Checkpoint
            return layer_name

        self.vgg = [
            conv(filters, 3, f"{block}_conv{i}")
            for block, filters, count in _VGG
            for i in range(1, count + 1)
        ]
        # "same" pooling rounds up (75 -> 38 cells), as SSD's Caffe model; pool5 keeps the size.
        for block, _, _ in _VGG[:4]:
            setattr(self, f"{block}_pool", keras.layers.MaxPool2D(2, 2, padding="same", name=f"{block}_pool"))
        self.block5_pool = keras.layers.MaxPool2D(3, 1, padding="same", name="block5_pool")
        self.conv4_3_norm = L2Normalization()
        self.extras = [
            conv(1024, 3, "conv6", dilation_rate=6),
            conv(1024, 1, "conv7"),
            conv(256, 1, "conv8_1"), conv(512, 3, "conv8_2", strides=2),
            conv(128, 1, "conv9_1"), conv(256, 3, "conv9_2", strides=2),
            conv(128, 1, "conv10_1"), conv(256, 3, "conv10_2", padding="valid"),
            conv(128, 1, "conv11_1"), conv(256, 3, "conv11_2", padding="valid"),
        ]  # fmt: skip
        self.heads = Heads(ANCHORS, num_classes, weight_decay)

    def call(self, images: tf.Tensor, training: bool = False):
        end_points, net = {}, images
        for block, _, count in _VGG:
            for i in range(1, count + 1):
                net = end_points[f"{block}_conv{i}"] = getattr(self, f"{block}_conv{i}")(net)
            net = getattr(self, f"{block}_pool")(net)
        for layer_name in self.extras:
            net = end_points[layer_name] = getattr(self, layer_name)(net)
        features = [self.conv4_3_norm(end_points["block4_conv3"])] + [
            end_points[k] for k in ("conv7", "conv8_2", "conv9_2", "conv10_2", "conv11_2")
        ]
        outputs = self.heads(features)
        end_points.update(outputs)
        return outputs, end_points


def ssd_vgg_300(num_classes: int = 20, weight_decay: float = 0.0, weights: str | None = None) -> SSDVgg300:
    """The net; ``weights="imagenet"`` copies Keras' VGG16 ImageNet weights into its VGG layers."""
    net = SSDVgg300(num_classes, weight_decay)
    if weights:
        net(tf.zeros([1, 300, 300, 3]))
        source = keras.applications.VGG16(include_top=False, weights=weights)
        for layer_name in net.vgg:
            getattr(net, layer_name).set_weights(source.get_layer(layer_name).get_weights())
    return net


NETS = {
    "ssd_vgg_300": NetSpec(
        ssd_vgg_300, 300, "ssd_vgg", DETECTION, {**RECIPE, "learning_rate": 0.0001}, anchors=ANCHORS
    )
}
