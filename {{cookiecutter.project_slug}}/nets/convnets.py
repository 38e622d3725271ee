"""AlexNet v2 and VGG-A (VGG 11), with TF-Slim's topologies (default input 224x224).

Both end in TF-Slim's fully connected head: fc6 4096 -> dropout -> fc7 4096 ->
dropout -> Logits. (VGG 16 and 19 come from keras.applications, see
``applications.py``.) Pools pad to "same" so that small test sizes still fit.
Weights start Glorot-uniform, as TF-Slim's VGG (He-normal was tried: with
the 4,096-unit head the first losses were 15-25 and both nets learned less).
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets.regularizers import l2_regularizer

# (name, filters, kernel, stride) per conv; "pool" entries are 3x3/2 (AlexNet) or 2x2/2 (VGG) pools.
_ALEXNET_V2 = [
    ("conv1", 64, 11, 4), "pool1", ("conv2", 192, 5, 1), "pool2",
    ("conv3", 384, 3, 1), ("conv4", 384, 3, 1), ("conv5", 256, 3, 1), "pool5",
]  # fmt: skip
_VGG_A = [
    ("conv1", 64, 3, 1), "pool1", ("conv2", 128, 3, 1), "pool2",
    ("conv3_1", 256, 3, 1), ("conv3_2", 256, 3, 1), "pool3",
    ("conv4_1", 512, 3, 1), ("conv4_2", 512, 3, 1), "pool4",
    ("conv5_1", 512, 3, 1), ("conv5_2", 512, 3, 1), "pool5",
]  # fmt: skip


class _ConvNetWithFcHead(keras.Model):
    """A stack of convs and pools, then the fc6/fc7/Logits head."""

    default_image_size = 224
    layout: list = []
    pool_size = 2
    fc_stddev: float | None = None  # fc6/fc7 start truncated-normal with this deviation; None: Glorot
    bias_start = 0.0

    def __init__(self, num_classes: int, weight_decay: float, dropout_keep_prob: float, name: str):
        super().__init__(name=name)
        reg = l2_regularizer(weight_decay)
        self.names = []
        for entry in self.layout:
            if isinstance(entry, str):
                layer = keras.layers.MaxPool2D(self.pool_size, 2, padding="same", name=entry)
            else:
                layer_name, filters, kernel, stride = entry
                layer = keras.layers.Conv2D(
                    filters,
                    kernel,
                    stride,
                    padding="same",
                    activation="relu",
                    kernel_regularizer=reg,
                    bias_initializer=keras.initializers.Constant(self.bias_start),
                    name=layer_name,
                )
            # One attribute per layer: tf.train.Checkpoint does not see Keras layers in a list.
            setattr(self, layer.name, layer)
            self.names.append(layer.name)
        self.flatten = keras.layers.Flatten(name="Flatten")
        self.fc6 = self._fully_connected("fc6", reg)
        self.dropout6 = keras.layers.Dropout(1.0 - dropout_keep_prob, name="dropout6")
        self.fc7 = self._fully_connected("fc7", reg)
        self.dropout7 = keras.layers.Dropout(1.0 - dropout_keep_prob, name="dropout7")
        self.logits = (
            keras.layers.Dense(num_classes, kernel_regularizer=reg, name="Logits") if num_classes else None
        )

    def _fully_connected(self, name, regularizer):
        kernel = "glorot_uniform"
        if self.fc_stddev:
            kernel = keras.initializers.TruncatedNormal(stddev=self.fc_stddev)
        bias = keras.initializers.Constant(self.bias_start)
        return keras.layers.Dense(4096, "relu", kernel_initializer=kernel, bias_initializer=bias,
                                  kernel_regularizer=regularizer, name=name)  # fmt: skip

    def call(self, images: tf.Tensor, training: bool = False):
        end_points = {}
        net = images
        for layer_name in self.names:
            net = end_points[layer_name] = getattr(self, layer_name)(net)
        net = self.flatten(net)
        net = end_points["fc6"] = self.fc6(net)
        net = self.dropout6(net, training=training)
        net = end_points["fc7"] = self.fc7(net)
        net = self.dropout7(net, training=training)
        if self.logits is None:
            return net, end_points
        logits = end_points["Logits"] = self.logits(net)
        end_points["Predictions"] = tf.nn.softmax(logits)
        return logits, end_points


class AlexNetV2(_ConvNetWithFcHead):
    """AlexNet v2 (TF-Slim's ``alexnet_v2``)."""

    layout = _ALEXNET_V2
    pool_size = 3
    fc_stddev, bias_start = 0.005, 0.1  # TF-Slim's alexnet_v2 initialisers

    def __init__(self, num_classes=1000, weight_decay=0.0, dropout_keep_prob=0.5, name="alexnet_v2"):
        super().__init__(num_classes, weight_decay, dropout_keep_prob, name)


class VggA(_ConvNetWithFcHead):
    """VGG-A, 11 weight layers (TF-Slim's ``vgg_a``)."""

    layout = _VGG_A

    def __init__(self, num_classes=1000, weight_decay=0.0, dropout_keep_prob=0.5, name="vgg_a"):
        super().__init__(num_classes, weight_decay, dropout_keep_prob, name)
