"""CifarNet preprocessing (TF-Slim's): pad, random crop, flip, brightness and contrast, standardize."""

from __future__ import annotations

import tensorflow as tf

from preprocessing import random_ops

_PADDING = 4


def preprocess_image(
    image: tf.Tensor,
    output_height: int,
    output_width: int,
    is_training: bool = False,
    seed: tf.Tensor | None = None,
    random_flip: bool = True,
) -> tf.Tensor:
    """Training: pads by 4, crops randomly, flips and jitters; eval: the image at the net's size.

    Both end with per-image standardization. Returns float32 [H, W, C].
    """
    image = tf.cast(image, tf.float32)
    # Dataset images have the net's size; others (a photo given to infer.py) are resized to it first.
    shape = tf.shape(image)
    image = tf.cond(
        tf.logical_and(shape[0] == output_height, shape[1] == output_width),
        lambda: image,
        lambda: tf.image.resize(image, [output_height, output_width], antialias=True),
    )
    if is_training:
        crop, flip, brightness, contrast = random_ops.split(seed, 4)
        image = tf.image.resize_with_crop_or_pad(
            image, output_height + 2 * _PADDING, output_width + 2 * _PADDING
        )
        image = tf.image.stateless_random_crop(
            image, [output_height, output_width, tf.shape(image)[-1]], crop
        )
        if random_flip:
            image = tf.image.stateless_random_flip_left_right(image, flip)
        image = tf.image.stateless_random_brightness(image, max_delta=63, seed=brightness)
        image = tf.image.stateless_random_contrast(image, lower=0.2, upper=1.8, seed=contrast)
    image.set_shape([output_height, output_width, image.shape[-1]])
    return tf.image.per_image_standardization(image)


PREPROCESSING = {"cifarnet": preprocess_image}
