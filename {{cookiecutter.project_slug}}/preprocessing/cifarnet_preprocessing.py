"""CifarNet preprocessing (TF-Slim's): pad, random crop, flip, brightness and contrast, standardize."""

from __future__ import annotations

import tensorflow as tf

_PADDING = 4


def preprocess_image(
    image: tf.Tensor, output_height: int, output_width: int, is_training: bool = False
) -> tf.Tensor:
    """Training: pads by 4, crops randomly, flips and jitters; eval: crops or pads to size.

    Both end with per-image standardization. Returns float32 [H, W, C].
    """
    image = tf.cast(image, tf.float32)
    if is_training:
        image = tf.image.resize_with_crop_or_pad(
            image, output_height + 2 * _PADDING, output_width + 2 * _PADDING
        )
        image = tf.image.random_crop(image, [output_height, output_width, tf.shape(image)[-1]])
        image = tf.image.random_flip_left_right(image)
        image = tf.image.random_brightness(image, max_delta=63)
        image = tf.image.random_contrast(image, lower=0.2, upper=1.8)
    else:
        image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
    return tf.image.per_image_standardization(image)
