"""What every SSD net shares: the prediction heads over its feature maps.

An SSD net returns ``(outputs, end_points)`` like every net here; its
outputs are ``{"class_logits": [B, A, C + 1], "box_encodings": [B, A, 4]}``
over the A anchors of its record (background is class 0), in the order
``tasks.box_ops.generate_anchors`` lists them: feature map by feature map,
row-major location, anchor shape.
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from nets import recipes
from nets.regularizers import l2_regularizer
from tasks.box_ops import AnchorSpec

RECIPE = {**recipes.ADAM, "warmup_epochs": 1.0}


class Heads(keras.layers.Layer):
    """A 3x3 conv per feature map for the class scores and one for the box offsets."""

    def __init__(self, anchors: AnchorSpec, num_classes: int, weight_decay: float = 0.0, name: str = "heads"):
        super().__init__(name=name)
        self.num_outputs = num_classes + 1
        self.counts = [layer.per_location for layer in anchors.layers]
        reg = l2_regularizer(weight_decay)
        # One attribute per layer: tf.train.Checkpoint does not see Keras layers in a list.
        for k, count in enumerate(self.counts):
            setattr(
                self,
                f"class_head_{k}",
                keras.layers.Conv2D(
                    count * self.num_outputs,
                    3,
                    padding="same",
                    kernel_regularizer=reg,
                    name=f"class_head_{k}",
                ),
            )
            setattr(self, f"box_head_{k}", keras.layers.Conv2D(
                count * 4, 3, padding="same", kernel_regularizer=reg, name=f"box_head_{k}"))  # fmt: skip

    def call(self, feature_maps: list[tf.Tensor]) -> dict[str, tf.Tensor]:
        if len(feature_maps) != len(self.counts):
            raise ValueError(f"{len(feature_maps)} feature maps for {len(self.counts)} anchor layers")
        classes, boxes = [], []
        for k, features in enumerate(feature_maps):
            batch = tf.shape(features)[0]
            classes.append(
                tf.reshape(getattr(self, f"class_head_{k}")(features), [batch, -1, self.num_outputs])
            )
            boxes.append(tf.reshape(getattr(self, f"box_head_{k}")(features), [batch, -1, 4]))
        return {"class_logits": tf.concat(classes, axis=1), "box_encodings": tf.concat(boxes, axis=1)}


def conv_bn(filters: int, kernel: int, stride: int, weight_decay: float, name: str, padding: str = "same"):
    """Conv (no bias) -> batch norm -> ReLU, as one Sequential named ``name``."""
    return keras.Sequential(
        [
            keras.layers.Conv2D(filters, kernel, stride, padding=padding, use_bias=False,
                                kernel_regularizer=l2_regularizer(weight_decay), name="conv"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.ReLU(name="relu"),
        ],
        name=name,
    )  # fmt: skip


def halvings(size: int, times: int) -> list[int]:
    """Sides after each of ``times`` stride-2 "same" convolutions or pools (ceil)."""
    sides = []
    for _ in range(times):
        size = -(-size // 2)
        sides.append(size)
    return sides
