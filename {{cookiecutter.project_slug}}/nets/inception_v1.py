"""Inception v1 (GoogLeNet) as TF-Slim built it, with batch norm: its model zoo checkpoint loads into it.

Conv2d_1a_7x7 -> MaxPool_2a_3x3 -> Conv2d_2b_1x1 -> Conv2d_2c_3x3 ->
MaxPool_3a_3x3 -> Mixed_3b, 3c -> MaxPool_4a_3x3 -> Mixed_4b to 4f ->
MaxPool_5a_2x2 -> Mixed_5b, 5c -> global average (``PreLogits``) -> dropout
-> ``Logits``. Each Mixed block concatenates four branches: a 1x1
convolution; 1x1 then 3x3; 1x1 then 3x3; a 3x3 max pool then 1x1. Every
convolution is followed by batch norm (no scale, epsilon 0.001) and ReLU,
with SAME padding throughout. The end points are those names.

The slim walkthrough's net: ``inception_v1_2016_08_28.tar.gz`` holds
``inception_v1.ckpt`` (1001 classes, background first), which
``--checkpoint_path`` takes. Inputs in [-1, 1] (``inception``). TF-Slim
averaged a 7x7 window, which is the global average at its 224 pixels; the
global average lets any size through (it trains reliably from 64 pixels).
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets import recipes
from nets.building_blocks import ConvBN, classify
from nets.net_spec import NetSpec
from nets.regularizers import l2_regularizer

# Mixed block: (branch 0 1x1, branch 1 1x1 -> 3x3, branch 2 1x1 -> 3x3, branch 3 pool -> 1x1).
MIXED = {
    "Mixed_3b": (64, (96, 128), (16, 32), 32),
    "Mixed_3c": (128, (128, 192), (32, 96), 64),
    "Mixed_4b": (192, (96, 208), (16, 48), 64),
    "Mixed_4c": (160, (112, 224), (24, 64), 64),
    "Mixed_4d": (128, (128, 256), (24, 64), 64),
    "Mixed_4e": (112, (144, 288), (32, 64), 64),
    "Mixed_4f": (256, (160, 320), (32, 128), 128),
    "Mixed_5b": (256, (160, 320), (32, 128), 128),
    "Mixed_5c": (384, (192, 384), (48, 128), 128),
}
POOL_BEFORE = {"Mixed_4b": ("MaxPool_4a_3x3", 3), "Mixed_5b": ("MaxPool_5a_2x2", 2)}


def _conv(filters, kernel, stride, regularizer, name):
    return ConvBN(filters, kernel, stride, True, regularizer, name=name, epsilon=0.001, scale=False,
                  conv2d_same=False)  # fmt: skip


class Mixed(keras.layers.Layer):
    """One Inception block: four branches side by side, concatenated."""

    def __init__(self, depths, regularizer, name):
        super().__init__(name=name)
        b0, (b1a, b1b), (b2a, b2b), b3 = depths
        self.branch_0 = _conv(b0, 1, 1, regularizer, "branch_0")
        self.branch_1a = _conv(b1a, 1, 1, regularizer, "branch_1a")
        self.branch_1b = _conv(b1b, 3, 1, regularizer, "branch_1b")
        self.branch_2a = _conv(b2a, 1, 1, regularizer, "branch_2a")
        self.branch_2b = _conv(b2b, 3, 1, regularizer, "branch_2b")
        self.branch_3 = _conv(b3, 1, 1, regularizer, "branch_3")
        self.pool = keras.layers.MaxPool2D(3, 1, padding="same")
        # TF-Slim scope -> attribute. TF-Slim named Mixed_5b's second 3x3 "Conv2d_0a_3x3".
        second = "Conv2d_0a_3x3" if name == "Mixed_5b" else "Conv2d_0b_3x3"
        self.scopes = {
            "Branch_0/Conv2d_0a_1x1": "branch_0",
            "Branch_1/Conv2d_0a_1x1": "branch_1a",
            "Branch_1/Conv2d_0b_3x3": "branch_1b",
            "Branch_2/Conv2d_0a_1x1": "branch_2a",
            f"Branch_2/{second}": "branch_2b",
            "Branch_3/Conv2d_0b_1x1": "branch_3",
        }

    def call(self, net, training=False):
        branch_1 = self.branch_1b(self.branch_1a(net, training=training), training=training)
        branch_2 = self.branch_2b(self.branch_2a(net, training=training), training=training)
        branch_3 = self.branch_3(self.pool(net), training=training)
        return tf.concat([self.branch_0(net, training=training), branch_1, branch_2, branch_3], axis=-1)


class InceptionV1(keras.Model):
    """Calling it on images returns ``(logits, end_points)``; ``training`` normalizes by the batch."""

    default_image_size = 224

    def __init__(self, num_classes=1000, weight_decay=0.0, dropout_keep_prob=0.8):
        super().__init__(name="InceptionV1")
        reg = l2_regularizer(weight_decay)
        self.Conv2d_1a_7x7 = _conv(64, 7, 2, reg, "Conv2d_1a_7x7")
        self.MaxPool_2a_3x3 = keras.layers.MaxPool2D(3, 2, padding="same")
        self.Conv2d_2b_1x1 = _conv(64, 1, 1, reg, "Conv2d_2b_1x1")
        self.Conv2d_2c_3x3 = _conv(192, 3, 1, reg, "Conv2d_2c_3x3")
        self.MaxPool_3a_3x3 = keras.layers.MaxPool2D(3, 2, padding="same")
        self.order = ["Conv2d_1a_7x7", "MaxPool_2a_3x3", "Conv2d_2b_1x1", "Conv2d_2c_3x3", "MaxPool_3a_3x3"]
        for name, depths in MIXED.items():
            if name in POOL_BEFORE:
                pool, size = POOL_BEFORE[name]
                setattr(self, pool, keras.layers.MaxPool2D(size, 2, padding="same"))
                self.order.append(pool)
            setattr(self, name, Mixed(depths, reg, name))
            self.order.append(name)
        self.dropout = keras.layers.Dropout(1.0 - dropout_keep_prob, name="Dropout_0b")
        self.logits = (
            keras.layers.Dense(num_classes, kernel_regularizer=reg, name="Logits") if num_classes else None
        )

    def slim_layers(self) -> dict:
        """Each layer with weights under its TF-Slim scope."""
        layers = {"Logits/Conv2d_0c_1x1": self.logits}
        for name in self.order:
            layer = getattr(self, name)
            if isinstance(layer, Mixed):
                convs = {f"{name}/{scope}": getattr(layer, a) for scope, a in layer.scopes.items()}
            else:
                convs = {name: layer} if isinstance(layer, ConvBN) else {}
            for scope, conv_bn in convs.items():
                layers[scope] = conv_bn.conv
                layers[f"{scope}/BatchNorm"] = conv_bn.bn
        return layers

    def call(self, images: tf.Tensor, training: bool = False):
        end_points, net = {}, images
        for name in self.order:
            layer = getattr(self, name)
            pool = isinstance(layer, keras.layers.MaxPool2D)
            net = end_points[name] = layer(net) if pool else layer(net, training=training)
        net = end_points["PreLogits"] = tf.reduce_mean(net, axis=[1, 2])
        return classify(net, self.logits, end_points, self.dropout, training)


def inception_v1(num_classes=1000, weight_decay=0.0) -> InceptionV1:
    return InceptionV1(num_classes, weight_decay)


NETS = {
    # At 32 pixels Mixed_5b and 5c run on 1x1 maps and the learn test passed by 0.015 (0.615 held out);
    # at 64, 0.905-0.98 (seeds 0 and 1; AVX-512 and AVX2 kernels).
    "inception_v1": NetSpec(
        inception_v1, 224, "inception", recipe=recipes.ADAM, min_image_size=64, slim_scope="InceptionV1"
    )
}
