"""Exports a checkpoint for serving: a SavedModel with the preprocessing inside, and TFLite.

    python export.py --checkpoint_path=checkpoints/lenet --output_dir=exported/lenet [--tflite [--quantize]]

The SavedModel's ``serving_default`` signature takes encoded image bytes and
returns probabilities, top class ids, label names and scores, so a serving
system needs nothing from this project (see deployment/exporting.py).
``--tflite`` also writes ``model.tflite`` (float, on preprocessed images);
``--quantize`` also ``model_int8.tflite``, calibrated on the training split.
The export is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys

from deployment.tf_startup import import_tensorflow

tf = import_tensorflow()

from datasets import dataset_factory, dataset_utils, input_pipeline  # noqa: E402
from deployment import checkpointing, exporting  # noqa: E402
from preprocessing import preprocessing_factory  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--checkpoint_path", required=True, help="A checkpoint file prefix, or a directory (its latest)."
    )
    p.add_argument("--output_dir", required=True, help="The SavedModel folder to write.")
    p.add_argument("--top_k", type=int, default=5, help="How many classes the signatures return.")
    p.add_argument("--tflite", action="store_true", help="Also write model.tflite.")
    p.add_argument("--quantize", action="store_true", help="Also write model_int8.tflite (implies --tflite).")
    p.add_argument("--num_calibration_images", type=int, default=200)
    p.add_argument("--dataset_dir", default=None, help="For --quantize; default: the one training used.")
    p.add_argument("--overwrite", action="store_true", help="Replace an existing --output_dir.")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        written = export(args)
    except (checkpointing.CheckpointError, dataset_utils.DatasetError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(written))
    return 0


def export(args: argparse.Namespace) -> dict:
    if os.path.exists(args.output_dir) and not args.overwrite:
        raise FileExistsError(f"{args.output_dir} exists; pass --overwrite to replace it")
    net, config, path = checkpointing.load_net(args.checkpoint_path)
    classification = config["task"] == dataset_utils.CLASSIFICATION
    if args.quantize and not classification:
        raise checkpointing.CheckpointError("--quantize needs a classification net (it calibrates on images)")
    staging = f"{args.output_dir}.incomplete"
    shutil.rmtree(staging, ignore_errors=True)
    exporting.saved_model_archive(net, config, args.top_k).write_out(staging, verbose=False)
    with open(os.path.join(staging, "export_config.json"), "w", encoding="utf-8") as f:
        json.dump({**config, "checkpoint": path}, f, indent=2)
    written = {"saved_model": args.output_dir, "step": config["step"]}
    if args.tflite or args.quantize:
        float_key = "serving_preprocessed" if classification else "serving_default"
        with open(os.path.join(staging, "model.tflite"), "wb") as f:
            f.write(exporting.to_tflite(staging, float_key))
        written["tflite"] = os.path.join(args.output_dir, "model.tflite")
    if args.quantize:
        images = calibration_images(config, args.dataset_dir, args.num_calibration_images)
        with open(os.path.join(staging, "model_int8.tflite"), "wb") as f:
            f.write(exporting.to_tflite(staging, float_key, representative_images=images))
        written["tflite_int8"] = os.path.join(args.output_dir, "model_int8.tflite")
    shutil.rmtree(args.output_dir, ignore_errors=True)
    os.replace(staging, args.output_dir)
    return written


def calibration_images(config: dict, dataset_dir: str | None, count: int) -> list:
    """Preprocessed training images [1, H, W, C] to calibrate int8 activations."""
    split = dataset_factory.get_dataset(
        config["dataset_name"], config["dataset_split_name"], dataset_dir or config["dataset_dir"]
    )
    preprocess = functools.partial(
        preprocessing_factory.get_preprocessing(config["preprocessing_name"]),
        output_height=config["image_size"],
        output_width=config["image_size"],
    )
    return [images for images, _ in input_pipeline.eval_dataset(split, preprocess, 1).take(count)]


if __name__ == "__main__":
    sys.exit(main())
