"""Exports a checkpoint for serving: a SavedModel with the preprocessing inside, and TFLite.

    python export.py --checkpoint_path=checkpoints/lenet --output_dir=exported/lenet [--tflite [--quantize]]

Each export is a new version, ``exported/lenet/1/``, ``2/``, ... (TF Serving's
layout: it serves the highest; ``infer.py --saved_model_dir=exported/lenet``
takes the same). The SavedModel's signatures are the functions infer.py calls on a checkpoint
(``serving/endpoints.py``): ``serving_default`` takes encoded image bytes of
any size (or feature vectors, for nets on numbers) and returns the task's
outputs (for a classifier: probabilities, top class ids, label names and
scores), so a serving system needs nothing from this project. Its run record
is written beside it as ``export_config.json``. ``--tflite`` also writes
``model.tflite`` (float, on preprocessed inputs); ``--quantize`` also
``model_int8.tflite``, calibrated on the training split. The export is
written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from cli import flags, runner

import tensorflow as tf

from datasets import dataset_factory, input_pipeline
from deployment import assembly
from deployment.run_config import RunConfig
from errors import UserError
from serving import endpoints, saved_model
from tasks.task import IMAGES


def parse_flags(argv: list[str] | None) -> argparse.Namespace:
    p = flags.make_parser(__doc__)
    flags.add_checkpoint_flag(p)
    p.add_argument(
        "--output_dir",
        required=True,
        help="The model's folder: each export is a numbered version in it, <output_dir>/<version>/, "
        "as TF Serving loads them.",
    )
    p.add_argument("--model_version", type=flags.positive_int, help="Default: the highest there plus one.")
    p.add_argument(
        "--top_k", type=flags.positive_int, default=5, help="How many classes a classifier returns."
    )
    p.add_argument("--tflite", action="store_true", help="Also write model.tflite.")
    p.add_argument("--quantize", action="store_true", help="Also write model_int8.tflite (implies --tflite).")
    p.add_argument("--num_calibration_images", type=flags.positive_int, default=200, help="For --quantize.")
    p.add_argument("--dataset_dir", help="For --quantize; default: the one training used.")
    p.add_argument("--overwrite", action="store_true", help="Replace the export of --model_version.")
    flags.add_task_flags(p, serving_only=True)
    return flags.parse(p, argv)


def main(argv: list[str] | None = None) -> int:
    return runner.run(export, parse_flags(argv))


def export(args: argparse.Namespace) -> int:
    version = args.model_version or ([0, *endpoints.versions(args.output_dir)][-1] + 1)
    output_dir = os.path.join(args.output_dir, str(version))
    ours = saved_model.is_export(output_dir)  # (object stores say any folder exists: ask for the record)
    if (ours or "://" not in output_dir and tf.io.gfile.exists(output_dir)) and not (ours and args.overwrite):
        raise UserError(f"{output_dir} is taken; pass --overwrite to replace an export there")
    net, config, path = assembly.load_net(args.checkpoint_path)
    config = endpoints.with_task_overrides(config, flags.task_overrides(args))
    images = assembly.task(config).requests == IMAGES
    if args.quantize and not images:
        raise UserError("--quantize needs a net on images (it calibrates on training images)")
    staging = f"{output_dir}.incomplete"
    if tf.io.gfile.exists(staging):  # left by an interrupted export
        tf.io.gfile.rmtree(staging)
    saved_model.write_saved_model(endpoints.Serving(net, config, args.top_k), staging, path)
    written = {"saved_model": output_dir, "step": config.step}
    float_key = "serving_preprocessed" if images else "serving_default"
    if args.tflite or args.quantize:
        _write_bytes(os.path.join(staging, "model.tflite"), saved_model.to_tflite(staging, float_key))
        written["tflite"] = os.path.join(output_dir, "model.tflite")
    if args.quantize:
        calibration = calibration_images(config, args.dataset_dir, args.num_calibration_images)
        _write_bytes(
            os.path.join(staging, "model_int8.tflite"),
            saved_model.to_tflite(staging, float_key, representative_images=calibration),
        )
        written["tflite_int8"] = os.path.join(output_dir, "model_int8.tflite")
    saved_model.publish(staging, output_dir)
    print(json.dumps(written))
    return 0


def _write_bytes(path: str, data: bytes) -> None:
    with tf.io.gfile.GFile(path, "wb") as f:
        f.write(data)


def calibration_images(config: RunConfig, dataset_dir: str | None, count: int) -> list:
    """Preprocessed training images [1, H, W, C] to calibrate int8 activations."""
    split = dataset_factory.get_dataset(
        config.dataset_name, config.dataset_split_name, dataset_dir or config.dataset_dir
    )
    preprocess = assembly.preprocessing(config, is_training=False)
    task = assembly.task(config)

    def example(image, label):
        return task.eval_example(image=image, label=label, preprocess=preprocess)

    return [inputs for inputs, _ in input_pipeline.eval_dataset(split, example, 1).take(count)]


if __name__ == "__main__":
    sys.exit(main())
