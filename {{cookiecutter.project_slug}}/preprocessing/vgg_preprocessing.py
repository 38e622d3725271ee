"""VGG preprocessing (TF-Slim's): aspect-preserving resize, crop, flip, mean subtraction.

Also the default for ResNet v1, as in TF-Slim. Means are ImageNet's RGB means.
TF-Slim resized the smaller side to 256-512 pixels for 224-pixel crops. Here
the sides scale with the output size (a fixed 256 would crop a 32-pixel patch
out of a 256-pixel digit), and reach 288/224 of it rather than 512/224: crops
keep at least 60% of the image, which short runs and fine-tuning need.
Measured with benchmarks/zoo.py (500 steps from scratch on real digits, eval
accuracy): ResNet v1 50 0.21 at 512/224 with flips; deep nets without
batch norm 0.92-0.93 at 384/224, 0.97 at 288/224.
"""

from __future__ import annotations

import tensorflow as tf

from preprocessing import random_ops

_RGB_MEANS = (123.68, 116.78, 103.94)
_RESIZE_MIN = 256 / 224
_RESIZE_MAX = 288 / 224


def _aspect_preserving_resize(image: tf.Tensor, smallest_side: tf.Tensor) -> tf.Tensor:
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.cast(smallest_side, tf.float32) / tf.reduce_min(shape)
    return tf.image.resize(image, tf.cast(tf.round(shape * scale), tf.int32))


def subtract_means(image: tf.Tensor) -> tf.Tensor:
    channels = image.shape[-1]
    means = _RGB_MEANS if channels == 3 else (sum(_RGB_MEANS) / 3,) * channels
    return image - tf.constant(means, tf.float32)


def crop(
    image: tf.Tensor,
    output_height: int,
    output_width: int,
    is_training: bool,
    seed: tf.Tensor | None,
    random_flip: bool = True,
) -> tf.Tensor:
    """The resize, crop and flip of VGG preprocessing, on float pixels in [0, 255]."""
    side = max(output_height, output_width)
    smallest, largest = round(side * _RESIZE_MIN), round(side * _RESIZE_MAX)
    if is_training:
        resize, crop_seed, flip = random_ops.split(seed, 3)
        size = tf.random.stateless_uniform([], resize, smallest, largest + 1, dtype=tf.int32)
        image = _aspect_preserving_resize(image, size)
        image = tf.image.stateless_random_crop(
            image, [output_height, output_width, tf.shape(image)[-1]], crop_seed
        )
        if random_flip:
            image = tf.image.stateless_random_flip_left_right(image, flip)
    else:
        image = _aspect_preserving_resize(image, smallest)
        image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
    image.set_shape([output_height, output_width, image.shape[-1]])
    return image


def preprocess_image(
    image: tf.Tensor,
    output_height: int,
    output_width: int,
    is_training: bool = False,
    seed: tf.Tensor | None = None,
    random_flip: bool = True,
) -> tf.Tensor:
    """Training: smaller side to a random 8/7-12/7 of the size, random crop, flip; eval: 8/7, central crop.

    Returns float32 [output_height, output_width, C] with the means subtracted.
    """
    image = crop(tf.cast(image, tf.float32), output_height, output_width, is_training, seed, random_flip)
    return subtract_means(image)


PREPROCESSING = {"vgg": preprocess_image}
