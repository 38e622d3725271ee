"""Box-aware preprocessing for SSD-VGG (SSD-Tensorflow's ssd_vgg_preprocessing, stateless).

Training: colour distortion, a random crop that keeps part of the objects
(the smallest share of an object's area it must cover drawn from SSD's
{0.1, 0.3, 0.5, 0.7, 0.9}, or the whole image), boxes kept when at least half
their area stays in the crop and clipped to it, a random flip, and a resize
to the net's square input. Eval: the resize alone. Boxes are
``[ymin, xmin, ymax, xmax]`` in [0, 1] before and after.

This module's ``preprocess_image`` subtracts ImageNet's RGB means (VGG's
input); ``ssd_preprocessing`` is the same with [-1, 1] input (MobileNet's, and
the small net's).
"""

from __future__ import annotations

import tensorflow as tf

from preprocessing import inception_preprocessing, random_ops, vgg_preprocessing

_MIN_COVERED = (0.1, 0.3, 0.5, 0.7, 0.9, 1.0)  # 1.0: keep the whole image


def _crop(image, boxes, labels, seed):
    """A random crop keeping objects, as SSD samples patches; boxes moved, clipped and filtered."""
    choose, sample = random_ops.split(seed, 2)
    covered = tf.gather(_MIN_COVERED, tf.random.stateless_uniform([], choose, 0, len(_MIN_COVERED), tf.int32))
    begin, size, window = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image),
        bounding_boxes=tf.reshape(boxes, [1, -1, 4]),
        seed=sample,
        min_object_covered=tf.minimum(covered, 0.95),
        aspect_ratio_range=(0.5, 2.0),
        area_range=(0.3, 1.0),
        max_attempts=50,
        use_image_if_no_bounding_boxes=True,
    )
    take_whole = covered >= 1.0
    window = tf.where(take_whole, tf.constant([0.0, 0.0, 1.0, 1.0]), tf.reshape(window, [4]))
    image = tf.cond(take_whole, lambda: image, lambda: tf.slice(image, begin, size))
    boxes, labels = clip_to_window(boxes, labels, window)
    return image, boxes, labels


def clip_to_window(boxes, labels, window, min_share: float = 0.5):
    """Boxes in the frame of ``window`` (yxyx), clipped; those keeping less than ``min_share`` dropped."""
    wy0, wx0, wy1, wx1 = tf.unstack(window)
    height, width = wy1 - wy0, wx1 - wx0
    moved = (boxes - tf.stack([wy0, wx0, wy0, wx0])) / tf.stack([height, width, height, width])
    clipped = tf.clip_by_value(moved, 0.0, 1.0)

    def area(b):
        return tf.maximum(b[:, 2] - b[:, 0], 0.0) * tf.maximum(b[:, 3] - b[:, 1], 0.0)

    keep = area(clipped) >= min_share * tf.maximum(area(moved), 1e-12)
    keep = tf.logical_and(keep, area(clipped) > 0)
    return tf.boolean_mask(clipped, keep), tf.boolean_mask(labels, keep)


def _flip(image, boxes, seed):
    flip = tf.random.stateless_uniform([], seed) < 0.5
    image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
    boxes = tf.cond(
        flip, lambda: tf.stack([boxes[:, 0], 1 - boxes[:, 3], boxes[:, 2], 1 - boxes[:, 1]], 1), lambda: boxes
    )
    return image, boxes


def preprocess(
    image, output_height, output_width, is_training, seed, boxes, labels, normalize, random_flip=True
):
    """The shared steps; ``normalize`` maps [0, 1] pixels to the net's input."""
    image = tf.image.convert_image_dtype(image, tf.float32)  # [0, 1]
    with_boxes = boxes is not None
    if is_training:
        if boxes is None:
            boxes, labels = tf.zeros([0, 4]), tf.zeros([0], tf.int64)
        colour, crop, flip = random_ops.split(seed, 3)
        image = inception_preprocessing.distort_color(image, colour)
        image, boxes, labels = _crop(image, tf.cast(boxes, tf.float32), labels, crop)
        if random_flip:
            image, boxes = _flip(image, boxes, flip)
    image = tf.image.resize(image, [output_height, output_width])
    image.set_shape([output_height, output_width, 3])
    image = normalize(image)
    return (image, boxes, labels) if with_boxes else image


def preprocess_image(
    image: tf.Tensor,
    output_height: int,
    output_width: int,
    is_training: bool = False,
    seed: tf.Tensor | None = None,
    boxes: tf.Tensor | None = None,
    labels: tf.Tensor | None = None,
    random_flip: bool = True,
):
    """VGG's input (ImageNet's RGB means subtracted); ``(image, boxes, labels)`` when given boxes."""
    return preprocess(
        image, output_height, output_width, is_training, seed, boxes, labels,
        lambda x: vgg_preprocessing.subtract_means(x * 255.0), random_flip,
    )  # fmt: skip


PREPROCESSING = {"ssd_vgg": preprocess_image}
