"""Detection records with TF-Slim's and SSD-Tensorflow's keys, and decoding them back.

A record holds the encoded image (``image/encoded``, ``image/format``,
``image/height``, ``image/width``, ``image/filename``) and its objects under
``image/object/bbox/``: ``ymin``, ``xmin``, ``ymax``, ``xmax`` (in [0, 1]),
``label`` (1-based; 0 is background), ``label_text``, ``difficult`` and
``truncated``.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from datasets import example_codec
from tasks.box_ops import BOXES, DIFFICULT, LABELS, SIZE

BBOX = "image/object/bbox/"
IMAGE_FILENAME = "image/filename"


def to_tfexample(
    encoded: bytes,
    image_format: bytes,
    height: int,
    width: int,
    filename: str,
    boxes: list[tuple[float, float, float, float]],
    labels: list[int],
    label_texts: list[str],
    difficult: list[int],
    truncated: list[int],
) -> tf.train.Example:
    """A detection example: the image and its boxes (yxyx in [0, 1]) with 1-based labels."""
    ymin, xmin, ymax, xmax = (list(v) for v in zip(*boxes, strict=True)) if boxes else ([], [], [], [])
    feature = {
        example_codec.IMAGE_ENCODED: example_codec.bytes_feature(encoded),
        example_codec.IMAGE_FORMAT: example_codec.bytes_feature(image_format),
        example_codec.IMAGE_HEIGHT: example_codec.int64_feature(height),
        example_codec.IMAGE_WIDTH: example_codec.int64_feature(width),
        IMAGE_FILENAME: example_codec.bytes_feature(filename.encode()),
        BBOX + "ymin": example_codec.float_feature(ymin),
        BBOX + "xmin": example_codec.float_feature(xmin),
        BBOX + "ymax": example_codec.float_feature(ymax),
        BBOX + "xmax": example_codec.float_feature(xmax),
        BBOX + "label": example_codec.int64_feature(list(labels)),
        BBOX + "label_text": example_codec.bytes_feature([t.encode() for t in label_texts]),
        BBOX + "difficult": example_codec.int64_feature(list(difficult)),
        BBOX + "truncated": example_codec.int64_feature(list(truncated)),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature))


def decoder(image_shape: tuple[int | None, ...]) -> Callable:
    """Returns ``decode(serialized) -> (uint8 image [H, W, 3], label)`` for detection records.

    The label is ``{"boxes" [N, 4], "labels" [N], "difficult" [N], "size" [2]}``.
    """
    features = {
        example_codec.IMAGE_ENCODED: tf.io.FixedLenFeature([], tf.string),
        example_codec.IMAGE_HEIGHT: tf.io.FixedLenFeature([], tf.int64),
        example_codec.IMAGE_WIDTH: tf.io.FixedLenFeature([], tf.int64),
        **{BBOX + k: tf.io.VarLenFeature(tf.float32) for k in ("ymin", "xmin", "ymax", "xmax")},
        BBOX + "label": tf.io.VarLenFeature(tf.int64),
        BBOX + "difficult": tf.io.VarLenFeature(tf.int64),
    }

    def decode(serialized):
        parsed = tf.io.parse_single_example(serialized, features)
        image = example_codec.decode_image(parsed[example_codec.IMAGE_ENCODED], image_shape[-1])
        image.set_shape(image_shape)
        coordinates = [tf.sparse.to_dense(parsed[BBOX + k]) for k in ("ymin", "xmin", "ymax", "xmax")]
        return image, {
            BOXES: tf.stack(coordinates, axis=1),
            LABELS: tf.sparse.to_dense(parsed[BBOX + "label"]),
            DIFFICULT: tf.sparse.to_dense(parsed[BBOX + "difficult"]),
            SIZE: tf.stack([parsed[example_codec.IMAGE_HEIGHT], parsed[example_codec.IMAGE_WIDTH]]),
        }

    return decode
