"""What export.py writes: a SavedModel that needs nothing from this project, and TFLite files.

The SavedModel's ``serving_default`` signature takes encoded images (PNG,
JPEG, GIF or BMP bytes of any size) and does the net's eval preprocessing
itself; ``serving_preprocessed`` takes float images already preprocessed.
Both return ``probabilities`` [batch, classes] and the top ``class_ids``,
``labels`` (names) and ``scores`` [batch, k]. A regression net gets only
``serving_default`` on float features, returning ``predictions``.

It is written with Keras' ``ExportArchive``: a SavedModel of a plain
``tf.Module`` holding a Keras 3 model keeps variables that the TFLite
converter cannot freeze (they all share the name ``<model>/kernel``), and
its TFLite files then compute NaN.
"""

from __future__ import annotations

import functools

import tensorflow as tf
from tensorflow import keras

from deployment import checkpointing
from preprocessing import preprocessing_factory


def saved_model_archive(net: keras.Model, config: dict, top_k: int = 5) -> keras.export.ExportArchive:
    """The serving signatures of a trained net, ready for ``write_out``."""
    archive = keras.export.ExportArchive()
    archive.track(net)
    shape = checkpointing.input_shape(config)
    if config["task"] != "classification":

        def predict(features):
            predictions, _ = net(features, training=False)
            return {"predictions": predictions}

        archive.add_endpoint(
            "serving_default",
            predict,
            input_signature=[tf.TensorSpec([None, *shape], tf.float32, name="features")],
        )
        return archive

    height, width, channels = shape
    names = tf.constant([config["labels_to_names"].get(k, str(k)) for k in range(config["num_classes"])])
    k = min(top_k, config["num_classes"])
    preprocess = functools.partial(
        preprocessing_factory.get_preprocessing(config["preprocessing_name"]),
        output_height=height,
        output_width=width,
    )

    def classify(images):
        logits, _ = net(images, training=False)
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32))
        scores, class_ids = tf.math.top_k(probabilities, k=k)
        return {
            "probabilities": probabilities,
            "class_ids": class_ids,
            "labels": tf.gather(names, class_ids),
            "scores": scores,
        }

    def decode(encoded):
        image = tf.io.decode_image(encoded, channels=channels, expand_animations=False)
        image.set_shape([None, None, channels])
        return preprocess(image)

    def classify_encoded(images):
        return classify(tf.map_fn(decode, images, fn_output_signature=tf.TensorSpec(shape, tf.float32)))

    archive.add_endpoint(
        "serving_default", classify_encoded, input_signature=[tf.TensorSpec([None], tf.string, name="images")]
    )
    archive.add_endpoint(
        "serving_preprocessed",
        classify,
        input_signature=[tf.TensorSpec([None, *shape], tf.float32, name="images")],
    )
    return archive


def to_tflite(saved_model_dir: str, signature_key: str, representative_images=None) -> bytes:
    """Converts one float signature of a SavedModel to TFLite; with images, int8 post-training.

    Args:
      saved_model_dir: The exported SavedModel.
      signature_key: A float-input signature (TFLite has no image decoders).
      representative_images: An iterable of single preprocessed images
        [1, H, W, C] from the training data, to calibrate int8 activations.
    """
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir, signature_keys=[signature_key])
    if representative_images is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([image] for image in representative_images)
    return converter.convert()
