"""VGG A, 16 and 19 as TF-Slim built them: its model zoo checkpoints load into them.

The convolutions are followed by TF-Slim's fully connected head, written as it
wrote it: fc6 is a convolution over the last pool's map (7x7 for VGG, 5x5 for
AlexNet), fc7 and the logits (``fc8``) are 1x1 (here dense layers, the same
weights). At TF-Slim's 224 pixels the net computes what TF-Slim's does; at
smaller sizes a pool or fc6 whose window is larger than its map pads it with
zeros (TF-Slim's nets would fail there; fc6 then computes only the taps that
meet the map: ``fc6_on``), and fc6's outputs are averaged over space when the
map is larger (TF-Slim's ``global_pool``). ``ConvNetWithFcHead`` is
shared with AlexNet.

From scratch, VGG A starts Glorot-uniform as TF-Slim did (He-normal gave first
losses of 15-25 with the 4,096-unit head); VGG 16 and 19 start their
convolutions He-normal (with 16 or 19 ReLU layers and no batch norm a
Glorot start all but vanished and sat at chance).
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets import recipes
from nets.building_blocks import classify
from nets.net_spec import NetSpec
from nets.regularizers import l2_regularizer

# Deep nets without batch norm: at TF-Slim's SGD rates they never moved from chance (or diverged).
# Adam at 5e-4 (eval accuracy: VGG 16 0.934, AlexNet 0.918) did as well as 1e-3 and beat 2e-4 (0.909).
NO_BATCH_NORM = {k: v for k, v in recipes.ADAM.items() if k != "batch_norm_decay"} | {"learning_rate": 0.0005}


def vgg_layout(convs_per_block: tuple[int, ...]) -> list:
    """TF-Slim's VGG: blocks of 3x3 convolutions (``conv3/conv3_2``), each block then a 2x2 pool."""
    layout = []
    for block, (count, filters) in enumerate(
        zip(convs_per_block, (64, 128, 256, 512, 512), strict=True), start=1
    ):
        layout += [(f"conv{block}/conv{block}_{i}", filters, 3, 1, "same") for i in range(1, count + 1)]
        layout.append(f"pool{block}")
    return layout


def pad_to(net: tf.Tensor, size: int) -> tf.Tensor:
    """Zero-pads a map smaller than ``size`` on a side to ``size`` (evenly, as SAME padding does)."""
    height, width = net.shape[1], net.shape[2]
    if height >= size and width >= size:
        return net
    pad_h, pad_w = max(size - height, 0), max(size - width, 0)
    return tf.pad(net, [[0, 0], [pad_h // 2, pad_h - pad_h // 2], [pad_w // 2, pad_w - pad_w // 2], [0, 0]])


class ConvNetWithFcHead(keras.Model):
    """A stack of convolutions and pools, then the fc6/fc7/logits head, with TF-Slim's scopes.

    ``layout`` entries are ``(slim scope, filters, kernel, stride, padding)``
    or a pool's scope; pools are ``pool_size``/2 with VALID padding, as TF-Slim's.
    """

    default_image_size = 224
    layout: list = []
    pool_size = 2
    fc6_kernel = 7
    fc_stddev: float | None = None  # fc6/fc7 start truncated-normal with this deviation; None: Glorot
    bias_start = 0.0
    conv_initializer = "glorot_uniform"

    def __init__(self, num_classes: int, weight_decay: float, dropout_keep_prob: float, name: str):
        super().__init__(name=name)
        reg = l2_regularizer(weight_decay)
        self.scopes = {}  # TF-Slim scope -> attribute
        self.steps = []  # (attribute or None for a pool, end point name)
        for entry in self.layout:
            if isinstance(entry, str):
                self.steps.append((None, entry))
                continue
            scope, filters, kernel, stride, padding = entry
            attribute = scope.rsplit("/", 1)[-1]
            layer = keras.layers.Conv2D(
                filters, kernel, stride, padding=padding, activation="relu",
                kernel_initializer=self.conv_initializer, kernel_regularizer=reg,
                bias_initializer=keras.initializers.Constant(self.bias_start), name=attribute,
            )  # fmt: skip
            # One attribute per layer: tf.train.Checkpoint does not see Keras layers in a list.
            setattr(self, attribute, layer)
            self.scopes[scope] = attribute
            self.steps.append((attribute, scope))
        kernel = "glorot_uniform"
        if self.fc_stddev:
            kernel = keras.initializers.TruncatedNormal(stddev=self.fc_stddev)
        fc = dict(activation="relu", kernel_initializer=kernel, kernel_regularizer=reg,
                  bias_initializer=keras.initializers.Constant(self.bias_start))  # fmt: skip
        self.fc6 = keras.layers.Conv2D(4096, self.fc6_kernel, padding="valid", name="fc6", **fc)
        self.dropout6 = keras.layers.Dropout(1.0 - dropout_keep_prob, name="dropout6")
        self.fc7 = keras.layers.Dense(4096, name="fc7", **fc)
        self.dropout7 = keras.layers.Dropout(1.0 - dropout_keep_prob, name="dropout7")
        self.logits = (
            keras.layers.Dense(num_classes, kernel_regularizer=reg, name="Logits") if num_classes else None
        )

    def slim_layers(self) -> dict:
        """Each layer with weights under its TF-Slim scope."""
        layers = {scope: getattr(self, attribute) for scope, attribute in self.scopes.items()}
        return {**layers, "fc6": self.fc6, "fc7": self.fc7, "fc8": self.logits}

    def call(self, images: tf.Tensor, training: bool = False):
        end_points = {}
        net = images
        for attribute, name in self.steps:
            if attribute:
                net = getattr(self, attribute)(net)
            else:
                net = tf.nn.max_pool2d(pad_to(net, self.pool_size), self.pool_size, 2, "VALID")
            end_points[name] = net
        net = self.fc6_on(net)
        net = end_points["fc6"] = tf.reduce_mean(net, axis=[1, 2])  # 1x1 at TF-Slim's size
        net = self.dropout6(net, training=training)
        net = end_points["fc7"] = self.fc7(net)
        net = self.dropout7(net, training=training)
        return classify(net, self.logits, end_points)

    def fc6_on(self, net: tf.Tensor) -> tf.Tensor:
        """fc6 over the last pool's map. A map smaller than fc6's window is zero-padded to it (where
        TF-Slim's net would fail), so only the window's taps over the map meet values: those alone are
        computed, the same numbers without the zeros (at 32 pixels the map is 1x1, and the padded
        convolution multiplied 24 (AlexNet) or 48 (VGG) zeros for every value, forward and backward).
        The kernel keeps its full shape, so checkpoints are TF-Slim's either way."""
        height, width, size = net.shape[1], net.shape[2], self.fc6_kernel
        if height >= size and width >= size:
            return self.fc6(net)
        if not self.fc6.built:
            self.fc6.build((None, size, size, net.shape[-1]))
        top, left = max(size - height, 0) // 2, max(size - width, 0) // 2  # pad_to's placement
        taps = self.fc6.kernel[top : top + min(height, size), left : left + min(width, size)]
        net = tf.nn.conv2d(net, tf.cast(taps, net.dtype), 1, "VALID")
        return tf.nn.relu(tf.nn.bias_add(net, tf.cast(self.fc6.bias, net.dtype)))


class VggA(ConvNetWithFcHead):
    """VGG A, 11 weight layers (TF-Slim's ``vgg_a``)."""

    layout = vgg_layout((1, 1, 2, 2, 2))

    def __init__(self, num_classes=1000, weight_decay=0.0, dropout_keep_prob=0.5, name="vgg_a"):
        super().__init__(num_classes, weight_decay, dropout_keep_prob, name)


class Vgg16(VggA):
    """VGG 16 (TF-Slim's ``vgg_16``)."""

    layout = vgg_layout((2, 2, 3, 3, 3))
    conv_initializer = "he_normal"

    def __init__(self, num_classes=1000, weight_decay=0.0, dropout_keep_prob=0.5, name="vgg_16"):
        super().__init__(num_classes, weight_decay, dropout_keep_prob, name)


class Vgg19(Vgg16):
    """VGG 19 (TF-Slim's ``vgg_19``)."""

    layout = vgg_layout((2, 2, 4, 4, 4))

    def __init__(self, num_classes=1000, weight_decay=0.0, dropout_keep_prob=0.5, name="vgg_19"):
        super().__init__(num_classes, weight_decay, dropout_keep_prob, name)


NETS = {
    "vgg_a": NetSpec(VggA, 224, "vgg", recipe=NO_BATCH_NORM, slim_scope="vgg_a"),
    "vgg_16": NetSpec(Vgg16, 224, "vgg", recipe=NO_BATCH_NORM, slim_scope="vgg_16"),
    "vgg_19": NetSpec(Vgg19, 224, "vgg", recipe=NO_BATCH_NORM, slim_scope="vgg_19"),
}
