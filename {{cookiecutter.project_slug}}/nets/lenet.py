"""LeNet, with TF-Slim's topology.

conv1 32 5x5 -> pool1 -> conv2 64 5x5 -> pool2 -> Flatten -> fc3 1024 ->
dropout3 -> Logits. Default input size 28x28. TF-Slim's LeNet checkpoints load
into it (its logits are TF-Slim's ``LeNet/fc4``).
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets import recipes
from nets.building_blocks import classify
from nets.net_spec import NetSpec
from nets.regularizers import l2_regularizer


class LeNet(keras.Model):
    """LeNet as a Keras model with no input layer of its own.

    Calling it on ``images`` [batch, height, width, channels] returns
    ``(logits, end_points)``; ``training`` switches dropout on.
    """

    default_image_size = 28

    def __init__(
        self,
        num_classes: int = 10,
        weight_decay: float = 0.0,
        dropout_keep_prob: float = 0.5,
        name: str = "LeNet",
    ):
        """Builds the layers.

        Args:
          num_classes: Number of classes; 0 (or None) returns the fc3 features
            instead of logits.
          weight_decay: L2 coefficient on the weights (TF-Slim's semantics).
          dropout_keep_prob: Fraction of fc3 activations kept while training.
          name: The model's name.
        """
        super().__init__(name=name)
        regularizer = l2_regularizer(weight_decay)
        conv = dict(padding="same", activation="relu", kernel_regularizer=regularizer)
        self.conv1 = keras.layers.Conv2D(32, 5, name="conv1", **conv)
        self.pool1 = keras.layers.MaxPool2D(2, 2, name="pool1")
        self.conv2 = keras.layers.Conv2D(64, 5, name="conv2", **conv)
        self.pool2 = keras.layers.MaxPool2D(2, 2, name="pool2")
        self.flatten = keras.layers.Flatten(name="Flatten")
        self.fc3 = keras.layers.Dense(1024, activation="relu", kernel_regularizer=regularizer, name="fc3")
        self.dropout3 = keras.layers.Dropout(1.0 - dropout_keep_prob, name="dropout3")
        self.logits = (
            keras.layers.Dense(num_classes, kernel_regularizer=regularizer, name="Logits")
            if num_classes
            else None
        )

    def slim_layers(self) -> dict:
        """Each layer with weights under its TF-Slim scope."""
        return {"conv1": self.conv1, "conv2": self.conv2, "fc3": self.fc3, "fc4": self.logits}

    def call(self, images: tf.Tensor, training: bool = False):
        end_points = {}
        net = images
        for layer in (self.conv1, self.pool1, self.conv2, self.pool2, self.flatten, self.fc3):
            net = end_points[layer.name] = layer(net)
        net = end_points["dropout3"] = self.dropout3(net, training=training)
        return classify(net, self.logits, end_points)


NETS = {"lenet": NetSpec(LeNet, 28, "lenet", recipe=recipes.SGD, slim_scope="LeNet")}
