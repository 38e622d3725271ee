"""Box-aware preprocessing for SSD on MobileNet and the small SSD net: ssd_vgg's steps, [-1, 1] input."""

from __future__ import annotations

import tensorflow as tf

from preprocessing import ssd_vgg_preprocessing


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
    """[-1, 1] input; ``(image, boxes, labels)`` when given boxes (see ``ssd_vgg_preprocessing``)."""
    return ssd_vgg_preprocessing.preprocess(
        image,
        output_height,
        output_width,
        is_training,
        seed,
        boxes,
        labels,
        lambda x: (x - 0.5) * 2.0,
        random_flip,
    )


PREPROCESSING = {"ssd": preprocess_image}
