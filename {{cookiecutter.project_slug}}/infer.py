"""Classifies image files with a trained checkpoint or an exported SavedModel.

    python infer.py --checkpoint_path=checkpoints/lenet digit.png photos/ 'scans/**/*.jpg'
    python infer.py --saved_model_dir=exported/lenet --output_format=csv photos/

Arguments are files, directories (every image below them) or glob patterns.
Images may be PNG, JPEG, GIF or BMP of any size and channel count: each is
converted as the net's preprocessing requires, and they are classified
--batch_size at a time. Prints one JSON object per image (``{"path",
"predictions": [{"class_id", "label", "score"}, ...]}``) or CSV rows. A file
that cannot be read gets ``{"path", "error"}`` and the others still run; the
exit status is then 1.
"""

from __future__ import annotations

import argparse
import csv
import functools
import glob
import json
import os
import re
import sys

from deployment.tf_startup import import_tensorflow

tf = import_tensorflow()

from datasets import dataset_utils, image_folder  # noqa: E402
from deployment import checkpointing  # noqa: E402
from preprocessing import preprocessing_factory  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("images", nargs="+", help="Image files, directories or glob patterns.")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint_path", help="A checkpoint file prefix, or a directory (its latest).")
    source.add_argument("--saved_model_dir", help="A SavedModel written by export.py.")
    p.add_argument("--top_k", type=int, default=5)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--output_format", choices=("jsonl", "csv"), default="jsonl")
    return p.parse_args(argv)


def expand(inputs: list[str]) -> list[str]:
    """Files as given, directories as the images below them, globs as their matches, in order."""
    paths = []
    for item in inputs:
        if os.path.isdir(item):
            paths += sorted(
                os.path.join(root, name)
                for root, _, names in os.walk(item)
                for name in names
                if name.lower().endswith(image_folder.IMAGE_EXTENSIONS)
            )
        elif glob.has_magic(item):
            paths += sorted(glob.glob(item, recursive=True)) or [item]  # no match: reported as missing
        else:
            paths.append(item)
    return paths


def read_bytes(path: str) -> bytes:
    """Reads an image file and checks that it decodes.

    Raises:
      ValueError: the file is missing or not a PNG, JPEG, GIF or BMP image.
    """
    if not os.path.isfile(path):
        raise ValueError(f"cannot read {path}: file not found")
    data = tf.io.read_file(path)
    try:
        tf.io.decode_image(data, expand_animations=False)
    except tf.errors.OpError as e:
        # Drop TensorFlow's op and device decorations around the reason.
        reason = re.sub(r"\{\{.*?\}\}|\[Op:\w+\]|\s*name:\s*$", "", e.message).strip()
        raise ValueError(f"cannot read {path}: not a PNG, JPEG, GIF or BMP image ({reason})") from e
    return data.numpy()


class CheckpointClassifier:
    """Decodes and preprocesses in Python-side batches, then runs the net."""

    def __init__(self, checkpoint_path: str, top_k: int):
        self.net, config, _ = checkpointing.load_net(checkpoint_path)
        if config["task"] != dataset_utils.CLASSIFICATION:
            raise checkpointing.CheckpointError(
                f"infer.py classifies images; {checkpoint_path} is a {config['task']} net (use eval.py)."
            )
        self.channels = config["image_shape"][-1]
        size = config["image_size"]
        self.preprocess = functools.partial(
            preprocessing_factory.get_preprocessing(config["preprocessing_name"]),
            output_height=size,
            output_width=size,
        )
        self.names = [config["labels_to_names"].get(k, str(k)) for k in range(config["num_classes"])]
        self.top_k = min(top_k, config["num_classes"])

    @functools.cached_property
    def _prepare(self):
        # One trace for every image size: height and width are left open.
        @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
        def prepare(encoded):
            image = tf.io.decode_image(encoded, channels=self.channels, expand_animations=False)
            image.set_shape([None, None, self.channels])
            return self.preprocess(image)

        return prepare

    @functools.cached_property
    def _classify(self):
        @tf.function
        def classify(images):
            logits, _ = self.net(images, training=False)
            return tf.math.top_k(tf.nn.softmax(logits), k=self.top_k)

        return classify

    def __call__(self, encoded: list[bytes]) -> list[list[tuple[int, str, float]]]:
        images = tf.stack([self._prepare(tf.constant(e)) for e in encoded])
        scores, class_ids = self._classify(images)
        return [
            [(int(c), self.names[int(c)], float(s)) for c, s in zip(ids, row, strict=True)]
            for ids, row in zip(class_ids.numpy(), scores.numpy(), strict=True)
        ]


class SavedModelClassifier:
    """Calls an exported SavedModel's ``serving_default`` signature on encoded images."""

    def __init__(self, saved_model_dir: str, top_k: int):
        try:
            self.serve = tf.saved_model.load(saved_model_dir).signatures["serving_default"]
        except (OSError, KeyError) as e:
            raise checkpointing.CheckpointError(
                f"{saved_model_dir} is not a SavedModel written by export.py ({e})"
            ) from e
        self.top_k = top_k

    def __call__(self, encoded: list[bytes]) -> list[list[tuple[int, str, float]]]:
        out = self.serve(images=tf.constant(encoded))
        return [
            [
                (int(c), label.decode(), float(s))
                for c, label, s in list(zip(ids, labels, scores, strict=True))[: self.top_k]
            ]
            for ids, labels, scores in zip(
                out["class_ids"].numpy(), out["labels"].numpy(), out["scores"].numpy(), strict=True
            )
        ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.checkpoint_path:
            classify = CheckpointClassifier(args.checkpoint_path, args.top_k)
        else:
            classify = SavedModelClassifier(args.saved_model_dir, args.top_k)
    except checkpointing.CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    writer = ResultWriter(args.output_format, args.top_k)
    failed, pending = 0, []  # (path, encoded bytes or the error), in input order

    def flush():
        images = [data for _, data in pending if isinstance(data, bytes)]
        results = iter(classify(images) if images else [])
        for path, data in pending:
            if isinstance(data, bytes):
                writer.predictions(path, next(results))
            else:
                writer.error(path, data)
        pending.clear()

    for path in expand(args.images):
        try:
            pending.append((path, read_bytes(path)))
        except ValueError as e:
            failed += 1
            pending.append((path, str(e)))
        if len(pending) == args.batch_size:
            flush()
    flush()
    return 1 if failed else 0


class ResultWriter:
    """One JSON object, or one CSV row, per image, flushed as it comes."""

    def __init__(self, output_format: str, top_k: int):
        self.csv = csv.writer(sys.stdout) if output_format == "csv" else None
        if self.csv:
            ranked = [
                f"{field}_{rank}" for rank in range(1, top_k + 1) for field in ("class_id", "label", "score")
            ]
            self.csv.writerow(["path", "error", *ranked])

    def predictions(self, path: str, top: list[tuple[int, str, float]]) -> None:
        if self.csv:
            self.csv.writerow([path, "", *(value for entry in top for value in entry)])
        else:
            rows = [{"class_id": c, "label": label, "score": s} for c, label, s in top]
            print(json.dumps({"path": path, "predictions": rows}))
        sys.stdout.flush()

    def error(self, path: str, message: str) -> None:
        if self.csv:
            self.csv.writerow([path, message])
        else:
            print(json.dumps({"path": path, "error": message}))
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
