"""ResNet v1 50, 101 and 152 (keras.applications' ResNet: the stride in a stage's first 1x1 convolution).

The end points are the last blocks of stages 2, 3 and 5, then ``PreLogits``
and ``Logits``. From scratch, every residual branch starts at zero.
``--pretrained=imagenet`` starts from Keras' ImageNet weights, with the
input scaled as they expect (``vgg_caffe``).
"""

from __future__ import annotations

import re

import tensorflow as tf
from tensorflow import keras

from nets import applications, recipes
from nets.net_spec import NetSpec


def zero_residual_branches(base: keras.Model) -> None:
    """Every residual block starts as the identity (Goyal et al. 2017, "zero-init residual").

    The last batch norm's scale of each block (or its last convolution, where a
    block ends in one) starts at zero, so a deep net from scratch starts as a
    shallow one; the branch learns from the first step. Without it ResNet v1
    101 and 152 learned far slower than v1 50 in a short run.
    """
    for layer in base.layers:
        if re.fullmatch(r"conv\d_block\d+_3_bn", layer.name):
            layer.gamma.assign(tf.zeros_like(layer.gamma))
        elif re.fullmatch(r"conv\d_block\d+_3_conv", layer.name) and not any(
            other.name == layer.name[: -len("conv")] + "bn" for other in base.layers
        ):
            layer.kernel.assign(tf.zeros_like(layer.kernel))


def _resnet(application, end_point_layers, name):
    return applications.builder(application, end_point_layers, name, scratch_init=zero_residual_branches)


_BLOCKS = ("conv2_block3_out", "conv3_block4_out", "conv5_block3_out")
resnet_v1_50 = _resnet(keras.applications.ResNet50, _BLOCKS, "resnet_v1_50")
resnet_v1_101 = _resnet(keras.applications.ResNet101, _BLOCKS, "resnet_v1_101")
resnet_v1_152 = _resnet(
    keras.applications.ResNet152,
    ("conv2_block3_out", "conv3_block8_out", "conv5_block3_out"),
    "resnet_v1_152",
)

NETS = {
    name: NetSpec(builder, 224, "vgg", recipe=recipes.ADAM, pretrained_preprocessing="vgg_caffe")
    for name, builder in (
        ("resnet_v1_50", resnet_v1_50),
        ("resnet_v1_101", resnet_v1_101),
        ("resnet_v1_152", resnet_v1_152),
    )
}
