"""Writes a new dataset module to fill in.

    python -m datasets.new_dataset --name=my_images

creates ``datasets/my_images.py``; the dataset factory finds it by its
``NAME``, so nothing else needs editing. The module converts a folder of
class folders as it is; edit it where your data needs more (other label
sources, extra features, a download). Needs no TensorFlow, so the project
template's hook can run it too.
"""

from __future__ import annotations

import argparse
import keyword
import os
import re
import string
import sys

DATASETS_DIR = os.path.dirname(os.path.abspath(__file__))

# string.Template ($name), not str.format: the text is full of braces, and
# this file is itself rendered by cookiecutter, which must not see double braces.
MODULE = string.Template('''"""${title}: what the images show, where they come from, their license.

Written by ``python -m datasets.new_dataset --name=${name}``. As it stands it
converts a folder of class folders (``IMAGES/<class>/*.jpg``, or
``IMAGES/train|validation|test/<class>/...``):

    python download_and_convert_data.py --dataset_name=${name} --source_dir=IMAGES --dataset_dir=DATA
    python train.py --dataset_name=${name} --dataset_dir=DATA --model_name=lenet

Change ``download_and_convert`` where the raw data comes another way (a
download, a CSV of labels) and ``decode`` where a record holds more than an
image and its class.
"""

from __future__ import annotations

import tensorflow as tf

from datasets import dataset_utils, image_folder

NAME = "${name}"


def get_split(split_name: str, dataset_dir: str | None) -> dataset_utils.DatasetSplit:
    """Describes a split of the converted data; sizes and classes come from dataset_info.json."""
    return dataset_utils.read_split(NAME, split_name, dataset_dir, decoder=decode)


def decode(image_shape: tuple[int, ...]):
    """Returns ``decode(serialized) -> (image, label)`` for one record.

    The default reads TF-Slim's keys (``image/encoded``, ``image/class/label``).
    To read more, parse your own features here, e.g.
    ``tf.io.parse_single_example(serialized, {"image/encoded": ..., "my/feature": ...})``.
    """
    default = dataset_utils.image_decoder(image_shape)

    def decode_record(serialized: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return default(serialized)

    return decode_record


def download_and_convert(
    dataset_dir: str,
    source_dir: str | None = None,
    overwrite: bool = False,
    validation_fraction: float = 0.1,
    num_shards: int | None = None,
    image_size: tuple[int, int] | None = None,
    strict: bool = False,
    force: bool = False,
    progress=None,
) -> dict:
    """Converts the images in ``source_dir`` into TFRecord shards in ``dataset_dir``.

    To write records of your own instead, build them with
    ``dataset_utils.image_to_tfexample`` (or your own features) and write them
    with ``dataset_utils.DatasetWriter``: ``write_split`` per split, then
    ``finish`` (labels.txt, then dataset_info.json, last).
    """
    if source_dir is None:
        raise dataset_utils.DatasetError(
            f"{NAME} has no download: pass --source_dir=IMAGES, a folder of class folders."
        )
    return image_folder.convert(
        NAME,
        source_dir,
        dataset_dir,
        overwrite=overwrite,
        validation_fraction=validation_fraction,
        num_shards=num_shards,
        image_size=image_size,
        strict=strict,
        force=force,
        progress=progress,
    )
''')


def check_name(name: str) -> None:
    """Raises ValueError unless ``name`` can be a new dataset module."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise ValueError(
            f"dataset name {name!r} must be a Python module name: lower case letters, digits "
            "and underscores, starting with a letter"
        )
    if os.path.exists(os.path.join(DATASETS_DIR, f"{name}.py")):
        raise ValueError(f"datasets/{name}.py exists already; pick another name")


def create(name: str) -> str:
    """Writes ``datasets/<name>.py``; returns its path."""
    check_name(name)
    path = os.path.join(DATASETS_DIR, f"{name}.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(MODULE.substitute(name=name, title=name.replace("_", " ").capitalize()))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", required=True, help="The dataset's name, also its module's.")
    args = parser.parse_args(argv)
    try:
        path = create(args.name)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Wrote {path}: dataset {args.name!r} is registered by its NAME.")
    print(
        f"Next: python download_and_convert_data.py --dataset_name={args.name} "
        "--source_dir=IMAGES --dataset_dir=DATA"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
