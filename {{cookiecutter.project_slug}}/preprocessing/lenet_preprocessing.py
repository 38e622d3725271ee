"""LeNet preprocessing (TF-Slim's): scale pixels to [-1, 1) at the net's size."""

from __future__ import annotations

import tensorflow as tf


def preprocess_image(
    image: tf.Tensor,
    output_height: int,
    output_width: int,
    is_training: bool = False,
    seed: tf.Tensor | None = None,
    random_flip: bool = True,
) -> tf.Tensor:
    """Resizes ``image`` to the net's size if needed and maps [0, 255] to [-1, 1).

    Args:
      image: A uint8 or float image [height, width, channels].
      output_height: The net's input height.
      output_width: The net's input width.
      is_training: Unused: LeNet trains without augmentation, as in TF-Slim.
      seed: Unused (no random augmentation).
      random_flip: Unused.

    Returns:
      A float32 image [output_height, output_width, channels].
    """
    del is_training, seed, random_flip
    image = tf.cast(image, tf.float32)
    # Dataset images already have the net's size; only images from elsewhere
    # (infer.py on a photo) pay for the resize.
    if tuple(image.shape[:2]) != (output_height, output_width):
        image = tf.image.resize(image, [output_height, output_width], antialias=True)
    return (image - 128.0) / 128.0


PREPROCESSING = {"lenet": preprocess_image}
