"""SSD on MobileNet v2 (keras.applications' body), as the TF Object Detection API's SSD MobileNet v2.

Predictions from the expansion of block 13 (stride 16) and the last layer
(stride 32) of MobileNet v2, then four extra blocks (1x1 then stride-2 3x3)
down to a single cell: 19, 10, 5, 3, 2 and 1 cells a side at 300 pixels.
``--pretrained=imagenet`` starts the body from Keras' ImageNet weights.
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets import applications
from nets.net_spec import NetSpec
from nets.ssd_common import RECIPE, Heads, conv_bn, halvings
from tasks.box_ops import DETECTION, AnchorSpec, ssd_layers

_WIDE = (2.0, 0.5, 3.0, 1.0 / 3.0)
_EXTRAS = ((256, 512), (128, 256), (128, 256), (64, 128))


def feature_map_sizes(image_size: int) -> list[int]:
    sides = halvings(image_size, 9)
    return sides[3:9]


ANCHORS = AnchorSpec(
    layers=ssd_layers(0.2, 0.95, 6, [(2.0, 0.5)] + [_WIDE] * 3 + [(2.0, 0.5)] * 2),
    feature_map_sizes=feature_map_sizes,
)


class SSDMobileNetV2(keras.Model):
    """``net(images) -> ({"class_logits", "box_encodings"}, end_points)``."""

    default_image_size = 300

    def __init__(
        self,
        num_classes: int = 20,
        weight_decay: float = 0.0,
        weights: str | None = None,
        name: str = "ssd_mobilenet_v2",
    ):
        super().__init__(name=name)
        self.weight_decay, self.pretrained = weight_decay, weights
        for k, (inner, outer) in enumerate(_EXTRAS):
            setattr(self, f"extra{k}_1x1", conv_bn(inner, 1, 1, weight_decay, f"extra{k}_1x1"))
            setattr(self, f"extra{k}_3x3", conv_bn(outer, 3, 2, weight_decay, f"extra{k}_3x3"))
        self.heads = Heads(ANCHORS, num_classes, weight_decay)

    def build(self, input_shape):
        base = applications.application_body(
            keras.applications.MobileNetV2,
            self.pretrained,
            self.weight_decay,
            input_shape=tuple(input_shape[1:]),
        )
        outputs = [base.get_layer("block_13_expand_relu").output, base.output]
        self.body = keras.Model(base.inputs, outputs, name="MobilenetV2")

    def call(self, images: tf.Tensor, training: bool = False):
        stride16, net = self.body(images, training=training)
        end_points = {"block_13_expand_relu": stride16, "out_relu": net}
        features = [stride16, net]
        for k in range(len(_EXTRAS)):
            net = getattr(self, f"extra{k}_1x1")(net, training=training)
            net = end_points[f"extra{k}"] = getattr(self, f"extra{k}_3x3")(net, training=training)
            features.append(net)
        outputs = self.heads(features)
        end_points.update(outputs)
        return outputs, end_points


NETS = {"ssd_mobilenet_v2": NetSpec(SSDMobileNetV2, 300, "ssd", DETECTION, RECIPE, anchors=ANCHORS)}
