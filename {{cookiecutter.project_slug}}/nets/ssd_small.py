"""A small SSD that trains usefully on two CPU cores in minutes.

Seven stride-2 stages of 3x3 conv, batch norm and ReLU (24 to 256 channels,
about 1.2 million weights), predicting from the stages at strides 8, 16, 32,
64 and 128 with SSD's anchor scales (7% to 87% of the image). At 300 pixels
that is 38, 19, 10, 5 and 3 cells a side, 8,700 anchors, and about a third of
a GMAC per image: on this machine's two cores it trains at tens of images a
second, where SSD-VGG manages one or two.
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets.net_spec import NetSpec
from nets.ssd_common import RECIPE, Heads, conv_bn, halvings
from tasks.box_ops import DETECTION, AnchorLayer, AnchorSpec

_WIDE = (2.0, 0.5, 3.0, 1.0 / 3.0)
_STAGES = (
    (24, 1),
    (32, 2),
    (64, 2),
    (128, 2),
    (192, 2),
    (256, 2),
    (256, 1),
)  # (channels, convs) per stride 2
_FEATURE_STAGES = (2, 3, 4, 5, 6)  # strides 8 .. 128


def feature_map_sizes(image_size: int) -> list[int]:
    sides = halvings(image_size, len(_STAGES))
    return [sides[k] for k in _FEATURE_STAGES]


ANCHORS = AnchorSpec(
    layers=(
        AnchorLayer(0.07, 0.15, (2.0, 0.5)),
        AnchorLayer(0.15, 0.33, _WIDE),
        AnchorLayer(0.33, 0.51, _WIDE),
        AnchorLayer(0.51, 0.69, _WIDE),
        AnchorLayer(0.69, 0.87, (2.0, 0.5)),
    ),
    feature_map_sizes=feature_map_sizes,
)


class SSDSmall(keras.Model):
    """``net(images) -> ({"class_logits", "box_encodings"}, end_points)`` with 5 feature maps."""

    default_image_size = 300

    def __init__(self, num_classes: int = 20, weight_decay: float = 0.0, name: str = "ssd_small"):
        super().__init__(name=name)
        for k, (channels, convs) in enumerate(_STAGES):
            setattr(self, f"stage{k}_down", conv_bn(channels, 3, 2, weight_decay, f"stage{k}_down"))
            if convs > 1:
                setattr(self, f"stage{k}_conv", conv_bn(channels, 3, 1, weight_decay, f"stage{k}_conv"))
        self.heads = Heads(ANCHORS, num_classes, weight_decay)

    def call(self, images: tf.Tensor, training: bool = False):
        end_points, features, net = {}, [], images
        for k, (_, convs) in enumerate(_STAGES):
            net = getattr(self, f"stage{k}_down")(net, training=training)
            if convs > 1:
                net = getattr(self, f"stage{k}_conv")(net, training=training)
            end_points[f"stage{k}"] = net
            if k in _FEATURE_STAGES:
                features.append(net)
        outputs = self.heads(features)
        end_points.update(outputs)
        return outputs, end_points


NETS = {"ssd_small": NetSpec(SSDSmall, 300, "ssd", DETECTION, RECIPE, anchors=ANCHORS)}
