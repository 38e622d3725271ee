"""Answers requests with a trained checkpoint or an exported SavedModel.

    python infer.py --checkpoint_path=checkpoints/lenet digit.png photos/ 'scans/**/*.jpg'
    python infer.py --saved_model_dir=exported/lenet --output_format=csv photos/
    python infer.py --checkpoint_path=checkpoints/sine 0.5 1.7 3.2      # nets on numbers

For nets on images, arguments are files, directories (every image below
them) or glob patterns; images may be PNG, JPEG (CMYK too), GIF or BMP of any
size and channel count, converted as the net requires. For nets on numbers,
each argument is one example (``1.5`` or ``1.5,2,3``), or a text file with one
per line. Requests go --batch_size at a time through the same functions the
SavedModel serves, and each answer is printed in input order: one JSON object
per input (``{"path", ...the task's answer}``, e.g. ``"predictions": [{"class_id",
"label", "score"}, ...]``) or CSV rows. An input that cannot be read gets
``{"path", "error"}`` and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import os
import sys

from cli import flags, runner

import tensorflow as tf

import errors
from datasets import image_folder
from errors import UserError
from serving import endpoints
from tasks.task import IMAGES


def parse_flags(argv: list[str] | None) -> argparse.Namespace:
    p = flags.make_parser(__doc__)
    p.add_argument("inputs", nargs="+", help="Image files, directories or glob patterns; or numbers.")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint_path", help="A checkpoint file prefix, or a directory (its latest).")
    source.add_argument("--saved_model_dir", help="A SavedModel written by export.py.")
    p.add_argument("--top_k", type=flags.positive_int, default=5, help="Classifiers: the classes to print.")
    flags.add_batch_size_flag(p, 32)
    p.add_argument("--output_format", choices=("jsonl", "csv"), default="jsonl", help="One line per input.")
    flags.add_task_flags(p, serving_only=True)
    flags.add_answer_flags(p)
    return flags.parse(p, argv)


def main(argv: list[str] | None = None) -> int:
    return runner.run(infer, parse_flags(argv))


def infer(args: argparse.Namespace) -> int:
    model = endpoints.load(args.checkpoint_path, args.saved_model_dir, args.top_k, flags.task_overrides(args))
    task = model.task
    images = task.requests == IMAGES
    requests = expand(args.inputs) if images else features(args.inputs)
    writer = ResultWriter(args.output_format, task, args.top_k)
    failed = 0
    for start in range(0, len(requests), args.batch_size):
        batch = requests[start : start + args.batch_size]
        readable = {}  # index in batch -> (request info, model input)
        for i, (path, data) in enumerate(batch):
            try:
                readable[i] = read_image(model, path) if images else check_features(model, data)
            except ValueError as e:
                readable[i] = (str(e), None)
        good = [i for i, (info, _) in readable.items() if not isinstance(info, str)]
        answers = model.answer([readable[i][1] for i in good]) if good else {}
        rows = {i: {k: v[n] for k, v in answers.items()} for n, i in enumerate(good)}
        for i, (path, _) in enumerate(batch):
            info, _ = readable[i]
            if isinstance(info, str):
                failed += 1
                writer.error(path, info)
            else:
                request = {**info, "top_k": args.top_k, **flags.answer_settings(args)}
                answer = task.format_result(row=rows[i], request=request)
                writer.result(path, answer)
                if request.get("output_dir"):  # a task that draws its answers offers --output_dir
                    task.write_drawn(
                        path=path, encoded=readable[i][1], answer=answer, folder=request["output_dir"]
                    )
    return 1 if failed else 0


def expand(inputs: list[str]) -> list[tuple[str, None]]:
    """Files as given, directories as the images below them, globs as their matches, in order.

    Raises:
      UserError: a directory holds no image, or a pattern matches nothing.
    """
    paths = []
    for item in inputs:
        if tf.io.gfile.isdir(item):
            found = sorted(
                os.path.join(root, name)
                for root, _, names in tf.io.gfile.walk(item)
                for name in names
                if name.lower().endswith(image_folder.IMAGE_EXTENSIONS)
            )
            if not found:
                raise UserError(f"{item} holds no image ({', '.join(image_folder.IMAGE_EXTENSIONS)})")
            paths += found
        elif glob.has_magic(item):
            found = sorted(tf.io.gfile.glob(item) if "://" in item else glob.glob(item, recursive=True))
            if not found:
                raise UserError(f"no file matches {item}")
            paths += found
        else:
            paths.append(item)
    return [(path, None) for path in paths]


def read_image(model: endpoints.Served, path: str) -> tuple[dict, bytes]:
    """Reads one image file and checks that the model can decode it.

    Raises:
      ValueError: the file is missing or not a PNG, JPEG, GIF or BMP image.
    """
    if not tf.io.gfile.exists(path) or tf.io.gfile.isdir(path):
        raise ValueError(f"cannot read {path}: file not found")
    with tf.io.gfile.GFile(path, "rb") as f:
        data = f.read()
    try:
        height, width = model.image_size(data)
    except tf.errors.OpError as e:
        reason = errors.cause(e)
        if "too large" in e.message:
            raise ValueError(f"cannot read {path}: {reason}") from e
        # TF's message there lists formats (WebP, JPEG XL) that its decoder here does not take.
        shown = "" if "Unknown image file format" in e.message else f" ({reason})"
        raise ValueError(f"cannot read {path}: not a PNG, JPEG, GIF or BMP image{shown}") from e
    return {"image_size": [height, width]}, data


def features(inputs: list[str]) -> list[tuple[str, list[float] | str]]:
    """Numeric requests: each argument ``1.5`` or ``1.5,2``, or a file with one such line per example.

    An entry that is not numbers carries its error message instead.
    """
    requests = []
    for item in inputs:
        lines = [item]
        if tf.io.gfile.exists(item) and not tf.io.gfile.isdir(item):
            with tf.io.gfile.GFile(item) as f:
                lines = [line.strip() for line in f if line.strip()]
        for line in lines:
            try:
                requests.append((line, [float(v) for v in line.replace(",", " ").split()]))
            except ValueError:
                requests.append((line, f"cannot read {line!r}: expected numbers such as 1.5 or 1.5,2"))
    if not requests:
        raise UserError("no input given")
    return requests


def check_features(model: endpoints.Served, data: list[float] | str) -> tuple[dict, list[float]]:
    if isinstance(data, str):
        raise ValueError(data)
    wanted = model.config.input_shape
    if len(data) != math.prod(wanted):
        raise ValueError(f"expected {math.prod(wanted)} number(s) per example, got {len(data)}")
    return {}, data


class ResultWriter:
    """One JSON object, or CSV rows, per input, flushed as it comes."""

    def __init__(self, output_format: str, task, top_k: int):
        self.task = task
        self.csv = csv.writer(sys.stdout) if output_format == "csv" else None
        if self.csv:
            self.csv.writerow(["path", "error", *task.csv_header(top_k=top_k)])

    def result(self, path: str, answer: dict) -> None:
        if self.csv:
            for row in self.task.csv_rows(result=answer):
                self.csv.writerow([path, "", *row])
        else:
            print(json.dumps({"path": path, **answer}))
        sys.stdout.flush()

    def error(self, path: str, message: str) -> None:
        if self.csv:
            self.csv.writerow([path, message])
        else:
            print(json.dumps({"path": path, "error": message}))
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
