"""tf.train.Example records with TF-Slim's feature keys, and decoding them back.

Classification records hold ``image/encoded`` (PNG or JPEG bytes),
``image/format``, ``image/class/label``, ``image/height`` and
``image/width``, as TF-Slim's converters wrote them.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

IMAGE_ENCODED = "image/encoded"
IMAGE_FORMAT = "image/format"
IMAGE_CLASS_LABEL = "image/class/label"
IMAGE_HEIGHT = "image/height"
IMAGE_WIDTH = "image/width"


def bytes_feature(value: bytes | list[bytes]) -> tf.train.Feature:
    values = value if isinstance(value, list) else [value]
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))


def int64_feature(value: int | list[int]) -> tf.train.Feature:
    values = value if isinstance(value, list) else [value]
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def float_feature(value: float | list[float]) -> tf.train.Feature:
    values = value if isinstance(value, list) else [value]
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def image_to_tfexample(
    encoded: bytes, image_format: bytes, height: int, width: int, class_id: int
) -> tf.train.Example:
    """Builds a TF-Slim style classification example from an encoded image and its label."""
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                IMAGE_ENCODED: bytes_feature(encoded),
                IMAGE_FORMAT: bytes_feature(image_format),
                IMAGE_CLASS_LABEL: int64_feature(class_id),
                IMAGE_HEIGHT: int64_feature(height),
                IMAGE_WIDTH: int64_feature(width),
            }
        )
    )


def decode_image(encoded: tf.Tensor, channels: int) -> tf.Tensor:
    """Decodes PNG, JPEG (CMYK too), GIF or BMP bytes to uint8 [H, W, channels].

    TensorFlow's decoders cannot turn every file into every channel count
    (a CMYK JPEG fails with ``channels=1``), so the image is decoded as stored
    and converted here: colour to grey by luminance, grey to colour by
    repetition, alpha dropped.
    """
    image = tf.io.decode_image(encoded, channels=0, expand_animations=False)
    stored = tf.shape(image)[-1]
    if channels == 1:
        image = tf.cond(
            stored >= 3,
            lambda: tf.image.rgb_to_grayscale(image[..., :3]),
            lambda: image[..., :1],
        )
    else:
        colour = tf.cond(stored >= 3, lambda: image[..., :3], lambda: tf.tile(image[..., :1], [1, 1, 3]))
        image = colour if channels == 3 else tf.concat([colour, tf.fill(tf.shape(image[..., :1]), 255)], -1)
    image.set_shape([None, None, channels])
    return image


def image_decoder(image_shape: tuple[int | None, ...]) -> Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor]]:
    """Returns ``decode(serialized) -> (uint8 image [H, W, C], int64 label)`` for classification records.

    Args:
      image_shape: ``(height, width, channels)``; height and width may be None
        when the images differ in size.
    """
    features = {
        IMAGE_ENCODED: tf.io.FixedLenFeature([], tf.string),
        IMAGE_CLASS_LABEL: tf.io.FixedLenFeature([], tf.int64),
    }

    def decode(serialized: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        parsed = tf.io.parse_single_example(serialized, features)
        image = decode_image(parsed[IMAGE_ENCODED], image_shape[-1])
        image.set_shape(image_shape)
        return image, parsed[IMAGE_CLASS_LABEL]

    return decode


def png_examples(images, labels):
    """Serialized classification examples of uint8 images [n, H, W, C]; PNG encoding runs in parallel."""
    height, width = images.shape[1:3]
    encoded = (
        tf.data.Dataset.from_tensor_slices(images)
        .map(tf.io.encode_png, num_parallel_calls=tf.data.AUTOTUNE)
        .as_numpy_iterator()
    )
    for png, label in zip(encoded, labels, strict=True):
        yield image_to_tfexample(png, b"png", height, width, int(label)).SerializeToString()
