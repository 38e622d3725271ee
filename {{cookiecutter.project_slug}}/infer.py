"""Classifies image files with a trained checkpoint.

    python infer.py --checkpoint_path=checkpoints/lenet digit.png other.jpg

Prints one JSON object per image: ``{"path", "predictions": [{"class_id",
"label", "score"}, ...]}`` with the top --top_k classes. Images may be PNG,
JPEG, GIF or BMP of any size and channel count: each is converted as the
net's preprocessing requires. A file that cannot be read gets
``{"path", "error"}`` and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys

from deployment.tf_startup import import_tensorflow

tf = import_tensorflow()

from datasets import dataset_utils  # noqa: E402
from deployment import checkpointing  # noqa: E402
from preprocessing import preprocessing_factory  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("images", nargs="+", help="Image files.")
    p.add_argument(
        "--checkpoint_path",
        required=True,
        help="A checkpoint file prefix, or a directory (its latest checkpoint).",
    )
    p.add_argument("--top_k", type=int, default=5)
    return p.parse_args(argv)


def read_image(path: str, channels: int) -> tf.Tensor:
    """Decodes an image file to uint8 [height, width, channels].

    Raises:
      ValueError: the file is missing or not a PNG, JPEG, GIF or BMP image.
    """
    if not os.path.isfile(path):
        raise ValueError(f"cannot read {path}: file not found")
    try:
        return tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
    except tf.errors.OpError as e:
        # Drop TensorFlow's op and device decorations around the reason.
        reason = re.sub(r"\{\{.*?\}\}|\[Op:\w+\]|\s*name:\s*$", "", e.message).strip()
        raise ValueError(f"cannot read {path}: not a PNG, JPEG, GIF or BMP image ({reason})") from e


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        net, config, _ = checkpointing.load_net(args.checkpoint_path)
    except checkpointing.CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if config["task"] != dataset_utils.CLASSIFICATION:
        print(
            f"error: infer.py classifies images; {args.checkpoint_path} is a "
            f"{config['task']} net (use eval.py for it).",
            file=sys.stderr,
        )
        return 2

    channels = config["image_shape"][-1]
    size = config["image_size"]
    preprocess = functools.partial(
        preprocessing_factory.get_preprocessing(config["preprocessing_name"]),
        output_height=size,
        output_width=size,
    )
    top_k = min(args.top_k, config["num_classes"])
    labels = config["labels_to_names"]

    # One trace for every image size: height and width are left open.
    @tf.function(input_signature=[tf.TensorSpec([None, None, channels], tf.uint8)])
    def predict(image):
        logits, _ = net(preprocess(image)[tf.newaxis], training=False)
        return tf.math.top_k(tf.nn.softmax(logits[0]), k=top_k)

    failed = 0
    for path in args.images:
        try:
            image = read_image(path, channels)
        except ValueError as e:
            failed += 1
            print(json.dumps({"path": path, "error": str(e)}), flush=True)
            continue
        scores, class_ids = predict(image)
        predictions = [
            {"class_id": int(c), "label": labels.get(int(c), str(int(c))), "score": float(s)}
            for c, s in zip(class_ids.numpy(), scores.numpy(), strict=True)
        ]
        print(json.dumps({"path": path, "predictions": predictions}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
