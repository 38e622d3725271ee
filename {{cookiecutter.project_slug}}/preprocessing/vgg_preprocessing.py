"""VGG preprocessing (TF-Slim's): aspect-preserving resize, crop, flip, mean subtraction.

Also the default for ResNet v1, as in TF-Slim. Means are ImageNet's RGB means.
"""

from __future__ import annotations

import tensorflow as tf

_RGB_MEANS = (123.68, 116.78, 103.94)
_RESIZE_SIDE_MIN = 256
_RESIZE_SIDE_MAX = 512


def _aspect_preserving_resize(image: tf.Tensor, smallest_side: tf.Tensor) -> tf.Tensor:
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.cast(smallest_side, tf.float32) / tf.reduce_min(shape)
    return tf.image.resize(image, tf.cast(tf.round(shape * scale), tf.int32))


def _subtract_means(image: tf.Tensor) -> tf.Tensor:
    channels = image.shape[-1]
    means = _RGB_MEANS if channels == 3 else (sum(_RGB_MEANS) / 3,) * channels
    return image - tf.constant(means, tf.float32)


def preprocess_image(
    image: tf.Tensor, output_height: int, output_width: int, is_training: bool = False
) -> tf.Tensor:
    """Training: smallest side to a random 256-512, random crop, flip; eval: 256, central crop.

    Returns float32 [output_height, output_width, C] with the means subtracted.
    """
    image = tf.cast(image, tf.float32)
    smallest = max(_RESIZE_SIDE_MIN, output_height, output_width)
    if is_training:
        side = tf.random.uniform([], smallest, max(_RESIZE_SIDE_MAX, smallest) + 1, dtype=tf.int32)
        image = _aspect_preserving_resize(image, side)
        image = tf.image.random_crop(image, [output_height, output_width, tf.shape(image)[-1]])
        image = tf.image.random_flip_left_right(image)
    else:
        image = _aspect_preserving_resize(image, smallest)
        image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
    image.set_shape([output_height, output_width, image.shape[-1]])
    return _subtract_means(image)
