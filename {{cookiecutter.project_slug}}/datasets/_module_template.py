"""The ${name} dataset: images and their labels, converted into TFRecord shards.

Written by ``python -m datasets.new_dataset --name=${name}`` for you to fill
in (describe your data here: what the images show, where they come from, their
license). It works as it stands for class folders (``SOURCE/<class>/*.jpg``, or
``SOURCE/train|validation|test/<class>/...``), which need no module at all; it is
here for data whose labels live elsewhere.

What to fill in:

* ``list_images``: which image files, with which class, in which split. Its
  docstring shows labels read from a CSV file; file names or a JSON file of
  annotations work the same way.
* ``decode``: only when a record holds more than an image and its class.
* ``download_and_convert``: only when the raw data is downloaded, or written as
  records of your own (``dataset_utils.DatasetWriter``: ``write_split`` for each
  split, then ``finish(labels, info)`` with ``info["image_shape"]``).

Then:

    python download_and_convert_data.py --dataset_name=${name} --source_dir=SOURCE --dataset_dir=DATA
    python view_dataset.py --dataset_name=${name} --dataset_dir=DATA   # look before training
    python train.py --dataset_name=${name} --dataset_dir=DATA --model_name=lenet
"""

from __future__ import annotations

import tensorflow as tf

from datasets import dataset_utils, image_folder

NAME = "${name}"


def list_images(source_dir: str, validation_fraction: float = 0.1) -> image_folder.Source:
    """The images in ``source_dir`` with their class ids, per split: fill this in for your data.

    As written, class folders. For a CSV file of ``file,label`` rows beside the
    images, say, import ``csv`` and ``os`` and replace the body with::

        with open(os.path.join(source_dir, "labels.csv"), newline="") as f:
            rows = list(csv.reader(f))
        class_names = tuple(sorted({label for _, label in rows}))
        images = [(os.path.join(source_dir, file), class_names.index(label)) for file, label in rows]
        return image_folder.Source(
            class_names, image_folder.hold_out(images, validation_fraction), given_splits=False
        )

    ``hold_out`` keeps a seeded share of every class as the ``validation`` split;
    give ``{"train": [...], "validation": [...], "test": [...]}`` yourself where
    your data comes split.
    """
    return image_folder.scan(source_dir, validation_fraction)


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


def download_and_convert(dataset_dir: str, source_dir: str | None = None, **options) -> dict:
    """Converts the images ``list_images`` finds in ``source_dir`` into TFRecord shards in ``dataset_dir``.

    ``options`` are download_and_convert_data.py's: ``overwrite``,
    ``validation_fraction``, ``num_shards``, ``image_size``, ``strict``, ``force``.
    """
    if source_dir is None:
        raise dataset_utils.DatasetError(
            f"{NAME} is not downloaded: pass --source_dir=SOURCE, the folder of its images."
        )
    return image_folder.convert(NAME, source_dir, dataset_dir, list_images=list_images, **options)
