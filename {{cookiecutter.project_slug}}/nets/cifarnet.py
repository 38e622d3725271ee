"""CifarNet, with TF-Slim's topology (default input 32x32).

conv1 64 5x5 -> pool1 2x2/2 -> LRN -> conv2 64 5x5 -> LRN -> pool2 2x2/2 ->
Flatten -> fc3 384 -> dropout3 -> fc4 192 -> Logits. TF-Slim's CifarNet
checkpoints load into it (its logits are TF-Slim's ``CifarNet/logits``).
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets import recipes
from nets.building_blocks import classify
from nets.net_spec import NetSpec
from nets.regularizers import l2_regularizer


def _lrn(x: tf.Tensor) -> tf.Tensor:
    # In float32 whatever the compute type: CPUs have no bfloat16 LRN kernel (mixed precision crashed).
    normalized = tf.nn.local_response_normalization(
        tf.cast(x, tf.float32), depth_radius=4, bias=1.0, alpha=0.001 / 9.0, beta=0.75
    )
    return tf.cast(normalized, x.dtype)


class CifarNet(keras.Model):
    """Calling it on images returns ``(logits, end_points)``; ``training`` switches dropout on."""

    default_image_size = 32

    def __init__(
        self,
        num_classes: int = 10,
        weight_decay: float = 0.0,
        dropout_keep_prob: float = 0.5,
        name: str = "CifarNet",
    ):
        """Builds the layers; ``num_classes`` 0 returns the fc4 features instead of logits."""
        super().__init__(name=name)
        reg = l2_regularizer(weight_decay)
        self.conv1 = keras.layers.Conv2D(
            64, 5, padding="same", activation="relu", kernel_regularizer=reg, name="conv1"
        )
        self.pool1 = keras.layers.MaxPool2D(2, 2, name="pool1")
        self.conv2 = keras.layers.Conv2D(
            64, 5, padding="same", activation="relu", kernel_regularizer=reg, name="conv2"
        )
        self.pool2 = keras.layers.MaxPool2D(2, 2, name="pool2")
        self.flatten = keras.layers.Flatten(name="Flatten")
        self.fc3 = keras.layers.Dense(384, activation="relu", kernel_regularizer=reg, name="fc3")
        self.dropout3 = keras.layers.Dropout(1.0 - dropout_keep_prob, name="dropout3")
        self.fc4 = keras.layers.Dense(192, activation="relu", kernel_regularizer=reg, name="fc4")
        self.logits = (
            keras.layers.Dense(num_classes, kernel_regularizer=reg, name="Logits") if num_classes else None
        )

    def slim_layers(self) -> dict:
        """Each layer with weights under its TF-Slim scope."""
        names = ("conv1", "conv2", "fc3", "fc4")
        return {**{n: getattr(self, n) for n in names}, "logits": self.logits}

    def call(self, images: tf.Tensor, training: bool = False):
        end_points = {}
        net = end_points["conv1"] = self.conv1(images)
        net = end_points["pool1"] = self.pool1(net)
        net = _lrn(net)
        net = end_points["conv2"] = self.conv2(net)
        net = _lrn(net)
        net = end_points["pool2"] = self.pool2(net)
        net = end_points["Flatten"] = self.flatten(net)
        net = end_points["fc3"] = self.fc3(net)
        net = self.dropout3(net, training=training)
        net = end_points["fc4"] = self.fc4(net)
        return classify(net, self.logits, end_points)


NETS = {"cifarnet": NetSpec(CifarNet, 32, "cifarnet", recipe=recipes.SGD, slim_scope="CifarNet")}
