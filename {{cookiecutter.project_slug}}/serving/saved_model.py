"""What export.py writes: a SavedModel of the serving endpoints, and TFLite files.

It is written with Keras' ``ExportArchive``: a SavedModel of a plain
``tf.Module`` holding a Keras 3 model keeps variables that the TFLite
converter cannot freeze (they all share the name ``<model>/kernel``), and its
TFLite files then compute NaN.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf
from tensorflow import keras

from serving.endpoints import EXPORT_CONFIG, Serving


def write_saved_model(serving: Serving, directory: str, checkpoint: str) -> None:
    """Saves ``serving``'s endpoints as the signatures of a SavedModel, with its run record beside it."""
    archive = keras.export.ExportArchive()
    archive.track(serving.net)
    for name, (fn, signature) in serving.endpoints().items():
        archive.add_endpoint(name, fn, input_signature=signature)
    archive.write_out(directory, verbose=False)
    record = {
        "run": json.loads(serving.config.to_json()),
        "step": serving.config.step,
        "checkpoint": checkpoint,
    }
    with tf.io.gfile.GFile(os.path.join(directory, EXPORT_CONFIG), "w") as f:
        json.dump({**record, "top_k": serving.top_k}, f, indent=2)


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


def is_export(directory: str) -> bool:
    """Whether ``directory`` holds an export of this project (its run record is written last)."""
    return tf.io.gfile.exists(os.path.join(directory, EXPORT_CONFIG))


def publish(staging: str, output_dir: str) -> None:
    """Puts a finished export in place of ``output_dir`` (an older export there is replaced).

    Local folders are renamed, so the export appears whole at once. Object
    stores (gs://) have no folder rename: the files are copied, the run
    record last, so a reader that waits for ``export_config.json`` sees a whole
    export; then the staging copy is removed.
    """
    if is_export(output_dir):
        tf.io.gfile.rmtree(output_dir)
    if "://" not in output_dir:
        tf.io.gfile.rename(staging, output_dir)
        return
    files = [os.path.join(root, name) for root, _, names in tf.io.gfile.walk(staging) for name in names]
    for path in sorted(files, key=lambda p: os.path.basename(p) == EXPORT_CONFIG):
        target = os.path.join(output_dir, os.path.relpath(path, staging))
        tf.io.gfile.makedirs(os.path.dirname(target))
        tf.io.gfile.copy(path, target, overwrite=True)
    tf.io.gfile.rmtree(staging)
