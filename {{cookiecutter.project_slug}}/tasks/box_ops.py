"""Boxes, in one place: what SSD nets, detection data and the detection task share.

The detection task's name and the keys of a decoded detection label; anchors,
IoU, encoding, matching, the multibox loss, decoding and NMS. It imports
nothing of this project's, so nets, datasets and tasks all build on it.

Boxes are ``[ymin, xmin, ymax, xmax]`` in [0, 1] of the image (TF-Slim's and
tf.image's order); anchors are ``[cy, cx, h, w]``, also normalised. A box is
encoded against its anchor as in the SSD paper and SSD-Tensorflow, with prior
scaling (0.1, 0.1, 0.2, 0.2): ``((cy - acy) / ah / 0.1, (cx - acx) / aw / 0.1,
log(h / ah) / 0.2, log(w / aw) / 0.2)``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import numpy as np
import tensorflow as tf

DETECTION = "detection"  # the task's name
# A decoded detection record's label: {BOXES: [N, 4] yxyx in [0, 1], LABELS: [N] 1-based (0 is
# background), DIFFICULT: [N] 0 or 1, SIZE: [2] the original height and width}.
BOXES, LABELS, DIFFICULT, SIZE = "boxes", "labels", "difficult", "size"
PRIOR_SCALING = (0.1, 0.1, 0.2, 0.2)


@dataclasses.dataclass(frozen=True)
class AnchorLayer:
    """The anchors of one feature map.

    Attributes:
      size: The side of its smallest square anchor, a fraction of the image side.
      next_size: The side of the next layer's; a second square anchor of side
        sqrt(size * next_size) sits at every location (as in SSD).
      aspect_ratios: Width / height of the other anchors (each of area size**2).
    """

    size: float
    next_size: float
    aspect_ratios: tuple[float, ...] = (2.0, 0.5)

    @property
    def per_location(self) -> int:
        return 2 + len(self.aspect_ratios)


@dataclasses.dataclass(frozen=True)
class AnchorSpec:
    """A net's anchors: one layer per feature map, and the feature map sizes at an image size.

    Attributes:
      layers: One ``AnchorLayer`` per feature map, finest first.
      feature_map_sizes: ``image_size -> [side of each feature map]``, as the
        net computes them (tests check the two agree).
    """

    layers: tuple[AnchorLayer, ...]
    feature_map_sizes: Callable[[int], list[int]]

    def at(self, image_size: int) -> np.ndarray:
        """The anchors [A, 4] (cy, cx, h, w) for images of ``image_size`` pixels a side."""
        return _anchors_at(self, image_size)


def ssd_layers(min_size: float, max_size: float, count: int, ratios) -> tuple[AnchorLayer, ...]:
    """SSD's scales: the first layer at half of ``min_size``, the rest from ``min_size`` to ``max_size``."""
    sizes = [min_size / 2] + [min_size + (max_size - min_size) * k / (count - 2) for k in range(count - 1)]
    sizes.append(sizes[-1] + (sizes[-1] - sizes[-2]))
    return tuple(AnchorLayer(sizes[k], sizes[k + 1], tuple(ratios[k])) for k in range(count))


def generate_anchors(spec: AnchorSpec, image_size: int) -> np.ndarray:
    """All anchors ``[A, 4]`` as (cy, cx, h, w), feature map by feature map, location by location."""
    anchors = []
    for layer, side in zip(spec.layers, spec.feature_map_sizes(image_size), strict=True):
        centres = (np.arange(side, dtype=np.float64) + 0.5) / side
        cy, cx = np.meshgrid(centres, centres, indexing="ij")
        shapes = [(layer.size, layer.size), (math.sqrt(layer.size * layer.next_size),) * 2]
        shapes += [(layer.size / math.sqrt(r), layer.size * math.sqrt(r)) for r in layer.aspect_ratios]
        per_cell = [np.stack([cy, cx, np.full_like(cy, h), np.full_like(cx, w)], axis=-1) for h, w in shapes]
        anchors.append(np.stack(per_cell, axis=2).reshape(-1, 4))
    return np.concatenate(anchors).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _anchors_at(spec: AnchorSpec, image_size: int) -> np.ndarray:
    anchors = generate_anchors(spec, image_size)
    anchors.setflags(write=False)  # shared by every caller
    return anchors


def anchors_as_boxes(anchors) -> tf.Tensor:
    cy, cx, h, w = tf.unstack(tf.convert_to_tensor(anchors, tf.float32), axis=-1)
    return tf.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=-1)


def iou(boxes_a: tf.Tensor, boxes_b: tf.Tensor) -> tf.Tensor:
    """Intersection over union of every box in ``boxes_a`` [N, 4] with every box in ``boxes_b`` [M, 4]."""
    a = tf.expand_dims(tf.cast(boxes_a, tf.float32), 1)
    b = tf.expand_dims(tf.cast(boxes_b, tf.float32), 0)
    top_left = tf.maximum(a[..., :2], b[..., :2])
    bottom_right = tf.minimum(a[..., 2:], b[..., 2:])
    intersection = tf.reduce_prod(tf.maximum(bottom_right - top_left, 0.0), axis=-1)

    def area(x):
        return tf.maximum(x[..., 2] - x[..., 0], 0.0) * tf.maximum(x[..., 3] - x[..., 1], 0.0)

    return intersection / tf.maximum(area(a) + area(b) - intersection, 1e-12)


def encode(boxes: tf.Tensor, anchors) -> tf.Tensor:
    """Boxes [..., A, 4] (yxyx) relative to their anchors [A, 4] (cy, cx, h, w)."""
    anchors = tf.convert_to_tensor(anchors, tf.float32)
    ymin, xmin, ymax, xmax = tf.unstack(boxes, axis=-1)
    h, w = tf.maximum(ymax - ymin, 1e-6), tf.maximum(xmax - xmin, 1e-6)
    acy, acx, ah, aw = tf.unstack(anchors, axis=-1)
    return tf.stack(
        [
            ((ymin + ymax) / 2 - acy) / ah / PRIOR_SCALING[0],
            ((xmin + xmax) / 2 - acx) / aw / PRIOR_SCALING[1],
            tf.math.log(h / ah) / PRIOR_SCALING[2],
            tf.math.log(w / aw) / PRIOR_SCALING[3],
        ],
        axis=-1,
    )


def decode(encoded: tf.Tensor, anchors) -> tf.Tensor:
    """The inverse of ``encode``: boxes [..., A, 4] (yxyx) from offsets to the anchors."""
    anchors = tf.convert_to_tensor(anchors, tf.float32)
    encoded = tf.cast(encoded, tf.float32)
    acy, acx, ah, aw = tf.unstack(anchors, axis=-1)
    ty, tx, th, tw = tf.unstack(encoded, axis=-1)
    cy, cx = ty * PRIOR_SCALING[0] * ah + acy, tx * PRIOR_SCALING[1] * aw + acx
    h = tf.exp(tf.minimum(th * PRIOR_SCALING[2], 8.0)) * ah
    w = tf.exp(tf.minimum(tw * PRIOR_SCALING[3], 8.0)) * aw
    return tf.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=-1)


def match(
    boxes: tf.Tensor, labels: tf.Tensor, anchors, threshold: float = 0.5
) -> tuple[tf.Tensor, tf.Tensor]:
    """Assigns ground-truth boxes to anchors for one image.

    An anchor takes the box it overlaps most when that IoU reaches
    ``threshold``; besides, every box takes the anchor it overlaps most, even
    below the threshold, so no box goes without one. Boxes with label 0 are
    padding and take nothing.

    Args:
      boxes: [N, 4] ground truth (yxyx).
      labels: [N] class ids, 1-based (0: padding).
      anchors: [A, 4] (cy, cx, h, w).
      threshold: The IoU an anchor needs to be positive.

    Returns:
      ``(classes [A] int64, 0 for background; encoded boxes [A, 4])``.
    """
    anchor_boxes = anchors_as_boxes(anchors)
    num_anchors = tf.shape(anchor_boxes)[0]
    # One padding row more, so that an image without boxes still has something to take argmax over.
    boxes = tf.concat([tf.reshape(tf.cast(boxes, tf.float32), [-1, 4]), tf.zeros([1, 4])], axis=0)
    labels = tf.concat([tf.reshape(tf.cast(labels, tf.int64), [-1]), tf.zeros([1], tf.int64)], axis=0)
    real = labels > 0
    overlaps = tf.where(real[:, None], iou(boxes, anchor_boxes), -1.0)  # [N, A]
    has_boxes = tf.reduce_any(real)
    best_box = tf.argmax(overlaps, axis=0, output_type=tf.int32)  # [A]
    best_iou = tf.reduce_max(overlaps, axis=0)
    positive = tf.logical_and(has_boxes, best_iou >= threshold)
    # Every real box claims its best anchor (two boxes with the same best anchor: one of them gets it).
    best_anchor = tf.argmax(overlaps, axis=1, output_type=tf.int32)  # [N]
    forced = tf.boolean_mask(tf.stack([best_anchor, tf.range(tf.shape(boxes)[0])], axis=1), real)
    claimed = tf.scatter_nd(forced[:, :1], tf.ones_like(forced[:, 0]), [num_anchors]) > 0
    owner = tf.tensor_scatter_nd_update(best_box, forced[:, :1], forced[:, 1])
    positive = tf.logical_or(positive, claimed)
    owner = tf.where(positive, owner, 0)
    classes = tf.where(positive, tf.gather(labels, owner), tf.zeros([num_anchors], tf.int64))
    matched = tf.where(
        positive[:, None], tf.gather(boxes, owner), anchor_boxes
    )  # background: anything finite
    return classes, encode(matched, anchors)


def smooth_l1(x: tf.Tensor) -> tf.Tensor:
    absolute = tf.abs(x)
    return tf.where(absolute < 1.0, 0.5 * x * x, absolute - 0.5)


def multibox_loss(
    classes: tf.Tensor,
    encoded: tf.Tensor,
    class_logits: tf.Tensor,
    box_encodings: tf.Tensor,
    negative_ratio: float = 3.0,
    alpha: float = 1.0,
) -> tf.Tensor:
    """SSD's loss per image [B]: softmax cross-entropy with hard negatives, plus alpha times smooth L1.

    Every positive anchor counts; of the negatives, the ``negative_ratio`` times
    as many as there are positives (at most all there are) with the highest
    cross-entropy. The sum is divided by the image's number of positives, so an
    image with no box adds 0 (never NaN).

    Args:
      classes: [B, A] target class per anchor (0: background).
      encoded: [B, A, 4] target offsets (used where the class is not 0).
      class_logits: [B, A, C + 1].
      box_encodings: [B, A, 4] predicted offsets.
      negative_ratio: Negatives per positive.
      alpha: Weight of the localisation term.
    """
    class_logits = tf.cast(class_logits, tf.float32)
    box_encodings = tf.cast(box_encodings, tf.float32)
    positive = classes > 0
    num_positive = tf.reduce_sum(tf.cast(positive, tf.int32), axis=1)  # [B]
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=classes, logits=class_logits)
    # Hard negatives: rank the negatives of each image by their loss, keep the top k.
    negative_loss = tf.where(positive, -1.0, cross_entropy)
    available = tf.reduce_sum(tf.cast(tf.logical_not(positive), tf.int32), axis=1)
    num_negative = tf.minimum(
        tf.cast(negative_ratio * tf.cast(num_positive, tf.float32), tf.int32), available
    )
    rank = tf.argsort(tf.argsort(negative_loss, axis=1, direction="DESCENDING"), axis=1)
    negative = rank < num_negative[:, None]
    confidence = tf.reduce_sum(tf.where(tf.logical_or(positive, negative), cross_entropy, 0.0), axis=1)
    location = tf.reduce_sum(
        tf.where(positive[..., None], smooth_l1(box_encodings - encoded), 0.0), axis=[1, 2]
    )
    return (confidence + alpha * location) / tf.maximum(tf.cast(num_positive, tf.float32), 1.0)


def detect(
    class_logits: tf.Tensor,
    box_encodings: tf.Tensor,
    anchors,
    select_threshold: float,
    nms_threshold: float,
    keep_top_k: int,
) -> dict[str, tf.Tensor]:
    """Decoded boxes after per-class non-maximum suppression (TF Object Detection API's output names).

    Returns:
      ``detection_boxes`` [B, K, 4] (yxyx in [0, 1]), ``detection_scores`` [B, K],
      ``detection_classes`` [B, K] (1-based, float32 as in the Object Detection
      API) and ``num_detections`` [B].
    """
    boxes = tf.clip_by_value(decode(box_encodings, anchors), 0.0, 1.0)
    scores = tf.nn.softmax(tf.cast(class_logits, tf.float32))[..., 1:]  # background left out
    nmsed = tf.image.combined_non_max_suppression(
        boxes[:, :, None, :],
        scores,
        max_output_size_per_class=keep_top_k,
        max_total_size=keep_top_k,
        iou_threshold=nms_threshold,
        score_threshold=select_threshold,
        clip_boxes=False,
    )
    return {
        "detection_boxes": nmsed.nmsed_boxes,
        "detection_scores": nmsed.nmsed_scores,
        "detection_classes": nmsed.nmsed_classes + 1.0,
        "num_detections": tf.cast(nmsed.valid_detections, tf.float32),
    }


def anchor_coverage(boxes: np.ndarray, anchors: np.ndarray, threshold: float = 0.5) -> float:
    """The share of boxes [N, 4] (yxyx) that no anchor overlaps at IoU >= ``threshold``."""
    if len(boxes) == 0:
        return 0.0
    best = tf.reduce_max(iou(boxes, anchors_as_boxes(anchors)), axis=1).numpy()
    return float(np.mean(best < threshold))
