"""No preprocessing: features pass through as float32 (the sine example)."""

from __future__ import annotations

import tensorflow as tf


def preprocess_image(
    image: tf.Tensor,
    output_height: int | None = None,
    output_width: int | None = None,
    is_training: bool = False,
    seed: tf.Tensor | None = None,
    random_flip: bool = True,
) -> tf.Tensor:
    """Returns ``image`` as float32; the other arguments keep the common signature."""
    del output_height, output_width, is_training, seed, random_flip
    return tf.cast(image, tf.float32)


PREPROCESSING = {"identity": preprocess_image}
