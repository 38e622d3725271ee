"""What every dataset module shares.

* ``DatasetSplit``: the record a dataset module's ``get_split`` returns.
* tf.train.Example records with TF-Slim's feature keys (``image/encoded``, ...).
* ``labels.txt`` (``id:name`` lines) and ``dataset_info.json`` (split sizes,
  shard counts, image shape), written by the converters and read back here.
* A sharded TFRecord writer that never leaves a shard that looks complete.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterable

import numpy as np
import tensorflow as tf

IMAGE_ENCODED = "image/encoded"
IMAGE_FORMAT = "image/format"
IMAGE_CLASS_LABEL = "image/class/label"
IMAGE_HEIGHT = "image/height"
IMAGE_WIDTH = "image/width"

LABELS_FILENAME = "labels.txt"
INFO_FILENAME = "dataset_info.json"

CLASSIFICATION = "classification"
REGRESSION = "regression"


class DatasetError(ValueError):
    """A dataset is missing, incomplete or corrupt; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class DatasetSplit:
    """One split of a dataset: what it holds and how its records decode.

    Attributes:
      dataset_name: The dataset's registry name.
      split_name: e.g. ``train`` or ``test``.
      num_samples: Number of examples in the split.
      task: ``classification`` or ``regression``.
      num_classes: Number of classes (1 output for regression).
      labels_to_names: Class id to class name (empty for regression).
      image_shape: ``(height, width, channels)`` of the stored images, or the
        feature shape for data that are not images (``(1,)`` for sine).
      records: Returns the split's undecoded records, always in the same order.
      decode: Maps one record to ``(image, label)`` tensors.
      files: The TFRecord files behind ``records`` (empty for in-memory data).
    """

    dataset_name: str
    split_name: str
    num_samples: int
    task: str
    num_classes: int
    labels_to_names: dict[int, str]
    image_shape: tuple[int, ...]
    records: Callable[[], tf.data.Dataset]
    decode: Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor]]
    files: tuple[str, ...] = ()


# --- tf.train.Example -------------------------------------------------------


def _bytes_feature(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64_feature(value: int) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def image_to_tfexample(
    encoded: bytes, image_format: bytes, height: int, width: int, class_id: int
) -> tf.train.Example:
    """Builds a TF-Slim style example from an encoded image and its label."""
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                IMAGE_ENCODED: _bytes_feature(encoded),
                IMAGE_FORMAT: _bytes_feature(image_format),
                IMAGE_CLASS_LABEL: _int64_feature(class_id),
                IMAGE_HEIGHT: _int64_feature(height),
                IMAGE_WIDTH: _int64_feature(width),
            }
        )
    )


_IMAGE_FEATURES = {
    IMAGE_ENCODED: tf.io.FixedLenFeature([], tf.string),
    IMAGE_FORMAT: tf.io.FixedLenFeature([], tf.string, default_value="png"),
    IMAGE_CLASS_LABEL: tf.io.FixedLenFeature([], tf.int64),
}


def image_decoder(
    image_shape: tuple[int, ...],
) -> Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor]]:
    """Returns a function that decodes one serialized image example.

    Args:
      image_shape: ``(height, width, channels)``; height and width may be None
        when the images differ in size.

    Returns:
      ``decode(serialized) -> (uint8 image [H, W, C], int64 label)``.
    """
    channels = image_shape[-1]

    def decode(serialized: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        features = tf.io.parse_single_example(serialized, _IMAGE_FEATURES)
        image = tf.io.decode_image(features[IMAGE_ENCODED], channels=channels, expand_animations=False)
        image.set_shape(image_shape)
        return image, features[IMAGE_CLASS_LABEL]

    return decode


# --- labels.txt and dataset_info.json ----------------------------------------


def write_label_file(labels_to_names: dict[int, str], dataset_dir: str) -> None:
    """Writes ``labels.txt`` as ``id:name`` lines, as TF-Slim does."""
    lines = "".join(f"{i}:{name}\n" for i, name in sorted(labels_to_names.items()))
    _write_atomically(os.path.join(dataset_dir, LABELS_FILENAME), lines)


def read_label_file(dataset_dir: str) -> dict[int, str]:
    """Reads ``labels.txt``; returns class id to class name."""
    path = os.path.join(dataset_dir, LABELS_FILENAME)
    labels = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                class_id, _, name = line.rstrip("\n").partition(":")
                labels[int(class_id)] = name
    return labels


def write_dataset_info(dataset_dir: str, info: dict) -> None:
    """Writes ``dataset_info.json``; a converter writes it last, on success."""
    _write_atomically(os.path.join(dataset_dir, INFO_FILENAME), json.dumps(info, indent=2) + "\n")


def read_dataset_info(dataset_name: str, dataset_dir: str | None) -> dict:
    """Reads ``dataset_info.json``, or says how to make it."""
    convert = (
        f"python download_and_convert_data.py --dataset_name={dataset_name} "
        f"--dataset_dir={dataset_dir or 'DIR'}"
    )
    if not dataset_dir:
        raise DatasetError(
            f"dataset {dataset_name!r} needs --dataset_dir: the folder written by `{convert}`."
        )
    path = os.path.join(dataset_dir, INFO_FILENAME)
    if not os.path.exists(path):
        raise DatasetError(
            f"{path} not found: {dataset_dir!r} does not hold a converted "
            f"{dataset_name!r} dataset (or its conversion did not finish). "
            f"Run `{convert}` first."
        )
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def remove_dataset_info(dataset_dir: str) -> None:
    """Marks a dataset folder incomplete while a converter rewrites it."""
    path = os.path.join(dataset_dir, INFO_FILENAME)
    if os.path.exists(path):
        os.remove(path)


def _write_atomically(path: str, text: str) -> None:
    tmp = path + ".incomplete"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# --- Sharded TFRecord files ---------------------------------------------------


def shard_filename(
    dataset_dir: str, dataset_name: str, split_name: str, shard_id: int, num_shards: int
) -> str:
    """``{name}_{split}-{i:05d}-of-{n:05d}.tfrecord`` inside ``dataset_dir``."""
    return os.path.join(
        dataset_dir,
        f"{dataset_name}_{split_name}-{shard_id:05d}-of-{num_shards:05d}.tfrecord",
    )


def write_sharded_tfrecords(
    records: Iterable[bytes],
    dataset_dir: str,
    dataset_name: str,
    split_name: str,
    num_shards: int,
) -> int:
    """Writes serialized records round-robin into ``num_shards`` TFRecord files.

    Shards are written under temporary names and renamed only once every
    record is written, so an interrupted conversion never leaves a shard that
    looks complete. Older shards of the same split are removed afterwards.

    Returns:
      The number of records written.
    """
    os.makedirs(dataset_dir, exist_ok=True)
    final = [shard_filename(dataset_dir, dataset_name, split_name, i, num_shards) for i in range(num_shards)]
    temporary = [path + ".incomplete" for path in final]
    writers = [tf.io.TFRecordWriter(path) for path in temporary]
    count = 0
    try:
        for count, record in enumerate(records, start=1):
            writers[(count - 1) % num_shards].write(record)
    except BaseException:
        for writer, path in zip(writers, temporary, strict=True):
            writer.close()
            os.remove(path)
        raise
    for writer in writers:
        writer.close()
    for tmp, path in zip(temporary, final, strict=True):
        os.replace(tmp, path)
    stale = tf.io.gfile.glob(os.path.join(dataset_dir, f"{dataset_name}_{split_name}-*-of-*.tfrecord"))
    for path in set(stale) - set(final):
        os.remove(path)
    return count


def write_image_arrays(
    dataset_name: str,
    arrays: dict[str, tuple[np.ndarray, np.ndarray]],
    class_names,
    dataset_dir: str,
    num_shards: int | None,
    examples_per_shard: int,
) -> dict:
    """Writes uint8 images [n, H, W, C] and labels per split as PNG examples, then the labels and info.

    ``dataset_info.json`` is removed first and written last, so the folder
    never looks finished while shards are being replaced.

    Returns:
      The dataset info written.
    """
    os.makedirs(dataset_dir, exist_ok=True)
    remove_dataset_info(dataset_dir)
    splits = {}
    for split_name, (images, labels) in arrays.items():
        shards = num_shards or max(1, -(-len(images) // examples_per_shard))
        count = write_sharded_tfrecords(
            _png_examples(images, labels), dataset_dir, dataset_name, split_name, shards
        )
        splits[split_name] = {"num_examples": count, "num_shards": shards}
        print(f"{split_name}: {count} examples in {shards} shard(s)")
    write_label_file(dict(enumerate(class_names)), dataset_dir)
    info = {
        "dataset": dataset_name,
        "num_classes": len(class_names),
        "image_shape": list(next(iter(arrays.values()))[0].shape[1:]),
        "splits": splits,
    }
    write_dataset_info(dataset_dir, info)
    return info


def _png_examples(images: np.ndarray, labels: np.ndarray):
    """Serialized examples; the PNG encoding runs in parallel in tf.data."""
    height, width = images.shape[1:3]
    encoded = (
        tf.data.Dataset.from_tensor_slices(images)
        .map(tf.io.encode_png, num_parallel_calls=tf.data.AUTOTUNE)
        .as_numpy_iterator()
    )
    for png, label in zip(encoded, labels, strict=True):
        yield image_to_tfexample(png, b"png", height, width, int(label)).SerializeToString()


def shard_sizes(num_records: int, num_shards: int) -> list[int]:
    """How many records each shard holds: ``write_sharded_tfrecords`` deals them round-robin."""
    return [(num_records - i + num_shards - 1) // num_shards for i in range(num_shards)]


def read_split(
    dataset_name: str,
    split_name: str,
    dataset_dir: str | None,
) -> DatasetSplit:
    """Describes one split of a converted dataset from its ``dataset_info.json``.

    Raises:
      DatasetError: the folder holds no finished conversion, lacks the split,
        or misses shards.
    """
    info = read_dataset_info(dataset_name, dataset_dir)
    splits = info["splits"]
    if split_name not in splits:
        raise DatasetError(
            f"dataset {dataset_name!r} in {dataset_dir} has no split "
            f"{split_name!r}; its splits are: {', '.join(sorted(splits))}."
        )
    num_shards = splits[split_name]["num_shards"]
    files = tuple(
        shard_filename(dataset_dir, dataset_name, split_name, i, num_shards) for i in range(num_shards)
    )
    missing = [path for path in files if not os.path.exists(path)]
    if missing:
        raise DatasetError(
            f"{len(missing)} of {num_shards} shards of {dataset_name}/{split_name} "
            f"are missing (first: {missing[0]}). Convert the dataset again with "
            f"download_and_convert_data.py --dataset_name={dataset_name} "
            f"--dataset_dir={dataset_dir} --overwrite."
        )
    image_shape = tuple(info["image_shape"])
    return DatasetSplit(
        dataset_name=dataset_name,
        split_name=split_name,
        num_samples=splits[split_name]["num_examples"],
        task=CLASSIFICATION,
        num_classes=info["num_classes"],
        labels_to_names=read_label_file(dataset_dir),
        image_shape=image_shape,
        records=lambda: tf.data.TFRecordDataset(list(files)),
        decode=image_decoder(image_shape),
        files=files,
    )
