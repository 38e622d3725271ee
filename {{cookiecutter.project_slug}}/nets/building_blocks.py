"""What the nets here share: TF-Slim's convolution with batch norm, and the logits at the end of a net."""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras


class ConvBN(keras.layers.Layer):
    """TF-Slim's conv2d with batch norm: a convolution without bias, batch norm, then ReLU if asked.

    ``conv2d_same``: a strided convolution pads evenly whatever the input size
    (TF-Slim's ``conv2d_same``, as its ResNets use); otherwise it pads as
    TensorFlow's SAME does (more on the bottom and right), as TF-Slim's
    ``conv2d`` with ``padding='SAME'`` does. ``epsilon`` and ``scale`` are
    the batch norm's (TF-Slim's ResNets: 1e-5 with a scale; its Inceptions:
    0.001 without one).
    """

    def __init__(self, filters, kernel, stride=1, relu=True, regularizer=None, zero_scale=False, name=None,
                 epsilon=1e-5, scale=True, conv2d_same=True):  # fmt: skip
        super().__init__(name=name)
        self.kernel_size, self.stride, self.relu = kernel, stride, relu
        self.pad = conv2d_same and stride > 1 and kernel > 1
        self.conv = keras.layers.Conv2D(
            filters, kernel, stride, padding="valid" if self.pad else "same", use_bias=False,
            kernel_initializer="he_normal", kernel_regularizer=regularizer, name="conv",
        )  # fmt: skip
        self.bn = keras.layers.BatchNormalization(
            momentum=0.997,
            epsilon=epsilon,
            scale=scale,
            gamma_initializer="zeros" if zero_scale else "ones",
            name="BatchNorm",
        )

    def call(self, net, training=False):
        if self.pad:
            total = self.kernel_size - 1
            net = tf.pad(
                net, [[0, 0], [total // 2, total - total // 2], [total // 2, total - total // 2], [0, 0]]
            )
        net = self.bn(self.conv(net), training=training)
        return tf.nn.relu(net) if self.relu else net


def classify(net, logits_layer, end_points: dict, dropout=None, training: bool = False):
    """A classifier's outputs from its features ``net``: the features themselves when it has no logits
    layer (``num_classes=0``), else the logits (after ``dropout`` if given), with ``Logits`` and
    ``Predictions`` (their softmax) added to ``end_points``. Returns ``(outputs, end_points)``."""
    if logits_layer is None:
        return net, end_points
    logits = end_points["Logits"] = logits_layer(dropout(net, training=training) if dropout else net)
    end_points["Predictions"] = tf.nn.softmax(logits)
    return logits, end_points
