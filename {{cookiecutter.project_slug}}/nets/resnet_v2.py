"""ResNet v2 50, 101 and 152 (keras.applications' ResNetV2: pre-activation blocks).

The end points are the last blocks of stages 2 and 3 and the final
activation, then ``PreLogits`` and ``Logits``. From scratch, every residual
branch starts at zero (its last convolution). ``--pretrained=imagenet``
starts from Keras' ImageNet weights (input in [-1, 1], ``inception``).
"""

from __future__ import annotations

import re

import tensorflow as tf
from tensorflow import keras

from nets import applications, recipes
from nets.net_spec import NetSpec


def zero_residual_branches(base: keras.Model) -> None:
    """Every residual block starts as the identity: its last convolution starts at zero (as ResNet v1's)."""
    for layer in base.layers:
        if re.fullmatch(r"conv\d_block\d+_3_conv", layer.name):
            layer.kernel.assign(tf.zeros_like(layer.kernel))


def _resnet(application, end_point_layers, name):
    return applications.builder(application, end_point_layers, name, scratch_init=zero_residual_branches)


resnet_v2_50 = _resnet(keras.applications.ResNet50V2, ("conv2_block3_out", "conv3_block4_out", "post_relu"),
                       "resnet_v2_50")  # fmt: skip
resnet_v2_101 = _resnet(
    keras.applications.ResNet101V2, ("conv2_block3_out", "conv3_block4_out", "post_relu"), "resnet_v2_101"
)
resnet_v2_152 = _resnet(
    keras.applications.ResNet152V2, ("conv2_block3_out", "conv3_block8_out", "post_relu"), "resnet_v2_152"
)

NETS = {
    name: NetSpec(builder, 224, "inception", recipe=recipes.ADAM)
    for name, builder in (
        ("resnet_v2_50", resnet_v2_50),
        ("resnet_v2_101", resnet_v2_101),
        ("resnet_v2_152", resnet_v2_152),
    )
}
