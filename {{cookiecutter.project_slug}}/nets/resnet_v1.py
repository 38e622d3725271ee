"""ResNet v1 50, 101 and 152 as TF-Slim built them: its model zoo checkpoints load into them.

conv1 7x7/2 -> pool1 3x3/2 -> four blocks of bottleneck units (1x1, 3x3,
1x1 convolutions, each followed by batch norm and no bias; a block's stride
is in the 3x3 convolution of its last unit, where its shortcut subsamples)
-> global average (``PreLogits``) -> ``Logits`` (TF-Slim's ``logits``, a 1x1
convolution there). End points: ``block1`` to ``block4``, ``PreLogits``,
``Logits``. Keras' ResNet puts the stride in a stage's first 1x1
convolution and has convolution biases: the same shapes, another function.

From scratch, every residual branch starts at zero (its last batch norm's
scale; Goyal et al. 2017), so a deep net starts as a shallow one: without
it ResNet v1 101 and 152 learned far slower than 50 in a short run. For
ImageNet weights use TF-Slim's checkpoints (``--checkpoint_path``; inputs
as ``vgg`` preprocesses them).
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from errors import UserError
from nets import recipes
from nets.building_blocks import ConvBN, classify
from nets.net_spec import NetSpec
from nets.regularizers import l2_regularizer

# Units per block; each block's base depth is 64, 128, 256, 512 (outputs four times that).
UNITS = {"resnet_v1_50": (3, 4, 6, 3), "resnet_v1_101": (3, 4, 23, 3), "resnet_v1_152": (3, 8, 36, 3)}


class Bottleneck(keras.layers.Layer):
    """TF-Slim's ``bottleneck`` unit of ResNet v1."""

    def __init__(self, depth, stride, project, regularizer, name):
        super().__init__(name=name)
        self.stride = stride
        self.shortcut = ConvBN(depth * 4, 1, stride, False, regularizer, name="shortcut") if project else None
        self.conv1 = ConvBN(depth, 1, 1, True, regularizer, name="conv1")
        self.conv2 = ConvBN(depth, 3, stride, True, regularizer, name="conv2")
        self.conv3 = ConvBN(depth * 4, 1, 1, False, regularizer, zero_scale=True, name="conv3")

    def call(self, net, training=False):
        if self.shortcut is not None:
            shortcut = self.shortcut(net, training=training)
        else:
            shortcut = net[:, :: self.stride, :: self.stride]
        residual = self.conv1(net, training=training)
        residual = self.conv3(self.conv2(residual, training=training), training=training)
        return tf.nn.relu(shortcut + residual)


class ResNetV1(keras.Model):
    """Calling it on images returns ``(logits, end_points)``; ``training`` normalizes by the batch."""

    default_image_size = 224

    def __init__(self, num_classes=1000, weight_decay=0.0, name="resnet_v1_50", weights=None):
        super().__init__(name=name)
        if weights:
            raise UserError(
                f"{name} is TF-Slim's ResNet, and Keras' weights are for another one: start from TF-Slim's "
                f"checkpoint instead (--checkpoint_path=checkpoints/{name}.ckpt, from "
                f"http://download.tensorflow.org/models/{name}_2016_08_28.tar.gz)."
            )
        reg = l2_regularizer(weight_decay)
        self.conv1 = ConvBN(64, 7, 2, True, reg, name="conv1")
        self.pool1 = keras.layers.MaxPool2D(3, 2, padding="same", name="pool1")
        self.units = {}  # TF-Slim scope -> attribute (one attribute per unit: checkpoints do not see lists)
        for block, (count, stride) in enumerate(zip(UNITS[name], (2, 2, 2, 1), strict=True), start=1):
            for unit in range(1, count + 1):
                attribute = f"block{block}_unit_{unit}"
                last = unit == count
                layer = Bottleneck(64 * 2 ** (block - 1), stride if last else 1, unit == 1, reg, attribute)
                setattr(self, attribute, layer)
                self.units[f"block{block}/unit_{unit}/bottleneck_v1"] = attribute
        self.logits = (
            keras.layers.Dense(num_classes, kernel_regularizer=reg, name="Logits") if num_classes else None
        )

    def slim_layers(self) -> dict:
        """Each layer with weights under its TF-Slim scope."""
        layers = {"conv1": self.conv1.conv, "conv1/BatchNorm": self.conv1.bn, "logits": self.logits}
        for scope, attribute in self.units.items():
            unit = getattr(self, attribute)
            for part in ("shortcut", "conv1", "conv2", "conv3"):
                if getattr(unit, part) is not None:
                    layers[f"{scope}/{part}"] = getattr(unit, part).conv
                    layers[f"{scope}/{part}/BatchNorm"] = getattr(unit, part).bn
        return layers

    def call(self, images: tf.Tensor, training: bool = False):
        end_points = {}
        net = self.pool1(self.conv1(images, training=training))
        for scope, attribute in self.units.items():
            net = getattr(self, attribute)(net, training=training)
            end_points[scope.split("/")[0]] = net  # the block's last unit wins
        net = end_points["PreLogits"] = tf.reduce_mean(net, axis=[1, 2])
        return classify(net, self.logits, end_points)


def _builder(name):
    def build(num_classes=1000, weight_decay=0.0, weights=None) -> ResNetV1:
        return ResNetV1(num_classes, weight_decay, name, weights)

    return build


NETS = {name: NetSpec(_builder(name), 224, "vgg", recipe=recipes.ADAM, slim_scope=name) for name in UNITS}
