"""Latency per image of the three inference paths, side by side in one run.

    python benchmarks/inference_latency.py --checkpoint_path=checkpoints/lenet --export_dir=exported/lenet

Times the checkpoint's net (a tf.function on preprocessed images), the
SavedModel (``serving_default`` on encoded PNGs, decoding included, and
``serving_preprocessed``) and the TFLite files, at batch 1 and 64. Prints
milliseconds per image (median of --repeats runs) as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cli  # noqa: E402, F401  (TensorFlow imports quietly when first used)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from deployment import assembly  # noqa: E402
from serving import endpoints  # noqa: E402


def per_image_ms(fn, batch: int, repeats: int) -> float:
    fn()  # trace / warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times) / batch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint_path", required=True)
    p.add_argument("--export_dir", required=True)
    p.add_argument("--repeats", type=int, default=50)
    args = p.parse_args()

    net, config, _ = assembly.load_net(args.checkpoint_path)
    shape = config.input_shape
    args.export_dir = endpoints.newest_version(args.export_dir)  # exported/lenet -> its newest version
    saved = tf.saved_model.load(args.export_dir)
    tflite_files = [
        f for f in ("model.tflite", "model_int8.tflite") if os.path.exists(os.path.join(args.export_dir, f))
    ]
    forward = tf.function(lambda x: tf.nn.softmax(net(x, training=False)[0]))
    for batch in (1, 64):
        print(json.dumps(measure(batch, forward, saved, shape, tflite_files, args)), flush=True)


def measure(batch, forward, saved, shape, tflite_files, args) -> dict:
    """One row: milliseconds per image of every path at this batch size."""
    rng = np.random.default_rng(0)
    pixels = rng.uniform(-1, 1, size=(batch, *shape)).astype(np.float32)
    raw = rng.integers(0, 256, size=(batch, *shape), dtype=np.uint8)
    pngs = tf.constant([tf.io.encode_png(image).numpy() for image in raw])
    row = {
        "batch": batch,
        "checkpoint_ms": per_image_ms(lambda: forward(pixels).numpy(), batch, args.repeats),
        "saved_model_encoded_ms": per_image_ms(
            lambda: saved.signatures["serving_default"](images=pngs)["scores"].numpy(), batch, args.repeats
        ),
        "saved_model_preprocessed_ms": per_image_ms(
            lambda: saved.signatures["serving_preprocessed"](images=tf.constant(pixels))["scores"].numpy(),
            batch,
            args.repeats,
        ),
    }
    for name in tflite_files:
        interpreter = tf.lite.Interpreter(
            model_path=os.path.join(args.export_dir, name), num_threads=os.cpu_count()
        )
        index = interpreter.get_input_details()[0]["index"]
        interpreter.resize_tensor_input(index, [batch, *shape])
        interpreter.allocate_tensors()
        interpreter.set_tensor(index, pixels)
        row[name.replace(".", "_") + "_ms"] = per_image_ms(interpreter.invoke, batch, args.repeats)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}


if __name__ == "__main__":
    main()
