"""VGG: VGG-A (VGG 11) with TF-Slim's topology, and VGG 16 and 19 from keras.applications.

VGG-A ends in TF-Slim's fully connected head: fc6 4096 -> dropout -> fc7 4096
-> dropout -> Logits (``ConvNetWithFcHead``, which AlexNet shares). Pools pad
to "same" so that small test sizes still fit. Its weights start
Glorot-uniform, as TF-Slim's (He-normal was tried: with the 4,096-unit head
the first losses were 15-25 and it learned less). VGG 16 and 19 start
He-normal; ``--pretrained=imagenet`` starts them from Keras' ImageNet weights
(input scaled as those expect, ``vgg_caffe``).
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets import applications, recipes
from nets.net_spec import NetSpec
from nets.regularizers import l2_regularizer

# Deep nets without batch norm: at TF-Slim's SGD rates they never moved from chance (or diverged).
# Adam at 5e-4 (eval accuracy: VGG 16 0.934, AlexNet 0.918) did as well as 1e-3 and beat 2e-4 (0.909).
NO_BATCH_NORM = {k: v for k, v in recipes.ADAM.items() if k != "batch_norm_decay"} | {"learning_rate": 0.0005}

# (name, filters, kernel, stride) per conv; "pool" entries are 2x2/2 pools.
_VGG_A = [
    ("conv1", 64, 3, 1), "pool1", ("conv2", 128, 3, 1), "pool2",
    ("conv3_1", 256, 3, 1), ("conv3_2", 256, 3, 1), "pool3",
    ("conv4_1", 512, 3, 1), ("conv4_2", 512, 3, 1), "pool4",
    ("conv5_1", 512, 3, 1), ("conv5_2", 512, 3, 1), "pool5",
]  # fmt: skip


class ConvNetWithFcHead(keras.Model):
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


class VggA(ConvNetWithFcHead):
    """VGG-A, 11 weight layers (TF-Slim's ``vgg_a``)."""

    layout = _VGG_A

    def __init__(self, num_classes=1000, weight_decay=0.0, dropout_keep_prob=0.5, name="vgg_a"):
        super().__init__(num_classes, weight_decay, dropout_keep_prob, name)


def he_normal_convs(base: keras.Model) -> None:
    """Keras starts VGG Glorot-uniform; with 16 or 19 ReLU layers and no batch norm the signal all
    but vanishes and training sits at chance (0.22 after 500 steps on digits). He-normal keeps it."""
    for layer in base.layers:
        if isinstance(layer, keras.layers.Conv2D):
            layer.kernel.assign(keras.initializers.HeNormal()(layer.kernel.shape))


_BLOCKS = ("block3_pool", "block4_pool", "block5_pool")
vgg_16 = applications.builder(keras.applications.VGG16, _BLOCKS, "vgg_16", 0.5, he_normal_convs)
vgg_19 = applications.builder(keras.applications.VGG19, _BLOCKS, "vgg_19", 0.5, he_normal_convs)

NETS = {
    "vgg_a": NetSpec(VggA, 224, "vgg", recipe=NO_BATCH_NORM),
    "vgg_16": NetSpec(vgg_16, 224, "vgg", recipe=NO_BATCH_NORM, pretrained_preprocessing="vgg_caffe"),
    "vgg_19": NetSpec(vgg_19, 224, "vgg", recipe=NO_BATCH_NORM, pretrained_preprocessing="vgg_caffe"),
}
