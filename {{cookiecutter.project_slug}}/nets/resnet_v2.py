"""ResNet v2 50, 101 and 152 as TF-Slim built them (pre-activation units): its checkpoints load into them.

conv1 7x7/2 (with bias, no batch norm) -> pool1 3x3/2 -> four blocks of
pre-activation bottleneck units (batch norm and ReLU, then 1x1, 3x3 and 1x1
convolutions; a block's stride is in the 3x3 convolution of its last unit)
-> ``postnorm`` (batch norm and ReLU) -> global average (``PreLogits``) ->
``Logits``. End points: ``block1`` to ``block4``, ``PreLogits``, ``Logits``.

From scratch, every residual branch starts at zero (its last convolution).
``--pretrained=imagenet`` (or a Keras weights file of ResNet50V2/101V2/152V2
without its top) copies Keras' ImageNet weights in, layer by layer: Keras'
ResNet v2 is this net but for pool1's padding (its pool pads one pixel on
each side where TF-Slim's pads on the bottom and right only), a one-pixel
shift the weights do not mind. TF-Slim's checkpoints load with
``--checkpoint_path`` and compute what TF-Slim computed (inputs in [-1, 1]:
``inception`` preprocessing, as TF-Slim's own ResNet v2 checkpoints were
trained).
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets import applications, recipes
from nets.building_blocks import ConvBN, classify
from nets.net_spec import NetSpec
from nets.regularizers import l2_regularizer

UNITS = {"resnet_v2_50": (3, 4, 6, 3), "resnet_v2_101": (3, 4, 23, 3), "resnet_v2_152": (3, 8, 36, 3)}
KERAS = {
    "resnet_v2_50": keras.applications.ResNet50V2,
    "resnet_v2_101": keras.applications.ResNet101V2,
    "resnet_v2_152": keras.applications.ResNet152V2,
}


def _batch_norm(name):
    return keras.layers.BatchNormalization(momentum=0.997, epsilon=1e-5, name=name)


class PreactBottleneck(keras.layers.Layer):
    """TF-Slim's ``bottleneck`` unit of ResNet v2."""

    def __init__(self, depth, stride, project, regularizer, name):
        super().__init__(name=name)
        self.depth, self.stride = depth, stride
        self.preact = _batch_norm("preact")
        self.shortcut = (
            keras.layers.Conv2D(depth * 4, 1, stride, kernel_regularizer=regularizer, name="shortcut")
            if project
            else None
        )
        self.conv1 = ConvBN(depth, 1, 1, True, regularizer, name="conv1")
        self.conv2 = ConvBN(depth, 3, stride, True, regularizer, name="conv2")
        self.conv3 = keras.layers.Conv2D(
            depth * 4, 1, kernel_initializer="zeros", kernel_regularizer=regularizer, name="conv3"
        )

    def build(self, input_shape):
        channels = input_shape[-1]
        self.preact.build((None, None, None, channels))
        if self.shortcut is not None:
            self.shortcut.build((None, None, None, channels))
        self.conv1.conv.build((None, None, None, channels))
        self.conv1.bn.build((None, None, None, self.depth))
        for conv in (self.conv2.conv, self.conv3):
            conv.build((None, None, None, self.depth))
        self.conv2.bn.build((None, None, None, self.depth))

    def call(self, net, training=False):
        preact = tf.nn.relu(self.preact(net, training=training))
        if self.shortcut is not None:
            shortcut = self.shortcut(preact)
        else:
            shortcut = net[:, :: self.stride, :: self.stride]
        residual = self.conv2(self.conv1(preact, training=training), training=training)
        return shortcut + self.conv3(residual)


class ResNetV2(keras.Model):
    """Calling it on images returns ``(logits, end_points)``; ``training`` normalizes by the batch."""

    default_image_size = 224

    def __init__(self, num_classes=1000, weight_decay=0.0, name="resnet_v2_50", weights=None):
        super().__init__(name=name)
        self.pretrained, self.weight_decay = weights, weight_decay
        reg = l2_regularizer(weight_decay)
        self.conv1 = keras.layers.Conv2D(64, 7, 2, kernel_regularizer=reg, name="conv1")
        self.pool1 = keras.layers.MaxPool2D(3, 2, padding="same", name="pool1")
        self.units = {}  # TF-Slim scope -> attribute (one attribute per unit: checkpoints do not see lists)
        for block, (count, stride) in enumerate(zip(UNITS[name], (2, 2, 2, 1), strict=True), start=1):
            for unit in range(1, count + 1):
                attribute = f"block{block}_unit_{unit}"
                depth = 64 * 2 ** (block - 1)
                layer = PreactBottleneck(depth, stride if unit == count else 1, unit == 1, reg, attribute)
                setattr(self, attribute, layer)
                self.units[f"block{block}/unit_{unit}/bottleneck_v2"] = attribute
        self.postnorm = _batch_norm("postnorm")
        self.logits = (
            keras.layers.Dense(num_classes, kernel_regularizer=reg, name="Logits") if num_classes else None
        )

    def build(self, input_shape):
        # Every layer's shape follows from the channels, so the net is whole before its first call
        # and Keras' weights can be copied in now. Grey images take RGB weights as repeated channels.
        self.conv1.build((None, None, None, 3 if self.pretrained else input_shape[-1]))
        channels = 64
        for attribute in self.units.values():
            unit = getattr(self, attribute)
            unit.build((None, None, None, channels))
            channels = unit.depth * 4
        self.postnorm.build((None, None, None, channels))
        if self.logits is not None:
            self.logits.build((None, channels))
        if self.pretrained:
            self._copy_keras_weights()

    def _copy_keras_weights(self):
        source = applications.application_body(
            KERAS[self.name], self.pretrained, 0.0, input_shape=(None, None, 3)
        )
        pairs = {"conv1_conv": self.conv1, "post_bn": self.postnorm}
        for scope, attribute in self.units.items():
            block, unit = int(scope[5]), int(scope.split("/")[1][5:])
            keras_name, ours = f"conv{block + 1}_block{unit}", getattr(self, attribute)
            pairs.update({
                f"{keras_name}_preact_bn": ours.preact, f"{keras_name}_0_conv": ours.shortcut,
                f"{keras_name}_1_conv": ours.conv1.conv, f"{keras_name}_1_bn": ours.conv1.bn,
                f"{keras_name}_2_conv": ours.conv2.conv, f"{keras_name}_2_bn": ours.conv2.bn,
                f"{keras_name}_3_conv": ours.conv3,
            })  # fmt: skip
        for keras_name, layer in pairs.items():
            if layer is not None:
                layer.set_weights(source.get_layer(keras_name).get_weights())

    def slim_layers(self) -> dict:
        """Each layer with weights under its TF-Slim scope."""
        layers = {"conv1": self.conv1, "postnorm": self.postnorm, "logits": self.logits}
        for scope, attribute in self.units.items():
            unit = getattr(self, attribute)
            layers[f"{scope}/preact"] = unit.preact
            if unit.shortcut is not None:
                layers[f"{scope}/shortcut"] = unit.shortcut
            for part in ("conv1", "conv2"):
                layers[f"{scope}/{part}"] = getattr(unit, part).conv
                layers[f"{scope}/{part}/BatchNorm"] = getattr(unit, part).bn
            layers[f"{scope}/conv3"] = unit.conv3
        return layers

    def call(self, images: tf.Tensor, training: bool = False):
        if self.pretrained and images.shape[-1] == 1:
            images = tf.image.grayscale_to_rgb(images)
        end_points = {}
        net = tf.pad(images, [[0, 0], [3, 3], [3, 3], [0, 0]])  # TF-Slim's conv2d_same at stride 2
        net = self.pool1(self.conv1(net))
        for scope, attribute in self.units.items():
            net = getattr(self, attribute)(net, training=training)
            end_points[scope.split("/")[0]] = net  # the block's last unit wins
        net = tf.nn.relu(self.postnorm(net, training=training))
        net = end_points["PreLogits"] = tf.reduce_mean(net, axis=[1, 2])
        return classify(net, self.logits, end_points)


def _builder(name):
    def build(num_classes=1000, weight_decay=0.0, weights=None) -> ResNetV2:
        return ResNetV2(num_classes, weight_decay, name, weights)

    return build


NETS = {
    name: NetSpec(_builder(name), 224, "inception", recipe=recipes.ADAM, slim_scope=name) for name in UNITS
}
