"""The converted-dataset format: sharded TFRecord files, ``labels.txt`` and ``dataset_info.json``.

A converted dataset is a folder (local, or any ``tf.io.gfile`` path such as
``gs://``) holding ``{name}_{split}-{i:05d}-of-{n:05d}.tfrecord`` shards, a
``labels.txt`` of ``id:name`` lines and, written last, ``dataset_info.json``
(split sizes, shard counts, task, classes, image shape, what the converter
did). A folder without the info file holds no finished conversion. Every
converter writes through ``DatasetWriter``, so all of them leave nothing that
looks complete when interrupted, and refuse to write over another dataset.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable

import numpy as np
import tensorflow as tf

from datasets import example_codec
from datasets.splits import DatasetError, DatasetSplit
from errors import cause
from tasks import names

LABELS_FILENAME = "labels.txt"
INFO_FILENAME = "dataset_info.json"
TEMPORARY = ".incomplete"

Progress = Callable[[int, int], None]  # (done, total) as records are written


def write_text(path: str, text: str) -> None:
    """Writes a file under a temporary name, then renames it: readers see all of it or nothing."""
    with tf.io.gfile.GFile(path + TEMPORARY, "w") as f:
        f.write(text)
    tf.io.gfile.rename(path + TEMPORARY, path, overwrite=True)


def read_source(path: str) -> bytes:
    """The bytes of a converter's source file. A local name need not be UTF-8 (trees copied from
    other systems hold such names; TensorFlow's file functions take only UTF-8)."""
    if "://" in path:
        with tf.io.gfile.GFile(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def shown(path: str) -> str:
    """``path`` as messages and JSON show it: bytes of a name that are not UTF-8 as ``\\xff`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def write_label_file(labels_to_names: dict[int, str], dataset_dir: str) -> None:
    """Writes ``labels.txt`` as ``id:name`` lines, as TF-Slim does."""
    lines = "".join(f"{i}:{name}\n" for i, name in sorted(labels_to_names.items()))
    write_text(os.path.join(dataset_dir, LABELS_FILENAME), lines)


def read_label_file(dataset_dir: str) -> dict[int, str]:
    """Reads ``labels.txt``; returns class id to class name."""
    labels = {}
    with tf.io.gfile.GFile(os.path.join(dataset_dir, LABELS_FILENAME)) as f:
        for line in f:
            if line.strip():
                class_id, _, name = line.rstrip("\n").partition(":")
                labels[int(class_id)] = name
    return labels


def _info_or_none(dataset_dir: str) -> dict | None:
    path = os.path.join(dataset_dir, INFO_FILENAME)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise DatasetError(f"{path} is not valid JSON ({e}); convert the dataset again") from e


def read_dataset_info(dataset_name: str, dataset_dir: str | None) -> dict:
    """Reads ``dataset_info.json``, or says how to make it."""
    convert = (
        f"`python download_and_convert_data.py --dataset_name={dataset_name} "
        f"--dataset_dir={dataset_dir or 'DIR'}` (with --source_dir=FOLDER where the raw data is yours, "
        "not downloaded)"
    )
    if not dataset_dir:
        raise DatasetError(f"dataset {dataset_name!r} needs --dataset_dir: the folder written by {convert}.")
    if not tf.io.gfile.exists(dataset_dir):
        raise DatasetError(
            f"--dataset_dir {dataset_dir} does not exist: check the path for a typo, or convert "
            f"{dataset_name!r} into it with {convert}."
        )
    info = _info_or_none(dataset_dir)
    if info is None:
        raise DatasetError(
            f"{os.path.join(dataset_dir, INFO_FILENAME)} not found: {dataset_dir!r} does not hold a "
            f"converted {dataset_name!r} dataset (or its conversion did not finish). Check the path, or "
            f"convert it with {convert}."
        )
    if info.get("dataset", dataset_name) != dataset_name:
        raise DatasetError(
            f"{dataset_dir} holds the converted dataset {info['dataset']!r}, not {dataset_name!r}: pass "
            f"--dataset_name={info['dataset']}, or convert {dataset_name!r} into a folder of its own."
        )
    return info


def already_converted(
    dataset_dir: str, dataset_name: str, overwrite: bool, force: bool = False
) -> dict | None:
    """The info of a finished conversion to keep, or None when the converter should run.

    Raises:
      DatasetError: ``dataset_dir`` holds another dataset (``force`` allows
        replacing it).
    """
    info = _info_or_none(dataset_dir)
    if info is None:
        return None
    if info.get("dataset") != dataset_name and not force:
        raise DatasetError(
            f"{dataset_dir} holds another converted dataset, {info.get('dataset')!r}; convert "
            f"{dataset_name!r} into a folder of its own with another --dataset_dir."
        )
    if overwrite or info.get("dataset") != dataset_name:
        return None
    print(f"{dataset_dir} already holds converted {dataset_name}; pass --overwrite to convert it again.")
    return info


def shard_filename(
    dataset_dir: str, dataset_name: str, split_name: str, shard_id: int, num_shards: int
) -> str:
    """``{name}_{split}-{i:05d}-of-{n:05d}.tfrecord`` inside ``dataset_dir``."""
    return os.path.join(
        dataset_dir, f"{dataset_name}_{split_name}-{shard_id:05d}-of-{num_shards:05d}.tfrecord"
    )


def shard_sizes(num_records: int, num_shards: int) -> list[int]:
    """How many records each shard holds: ``DatasetWriter`` deals them round-robin."""
    return [(num_records - i + num_shards - 1) // num_shards for i in range(num_shards)]


class DatasetWriter:
    """Writes one converted dataset: each split's shards, then ``labels.txt``, then the info file.

    Creating it starts a conversion: the info file is removed first (the
    folder no longer looks finished), and temporary files an interrupted
    conversion left are deleted. Shards are written under temporary names and
    renamed once every record is in, so a stopped conversion never leaves a
    shard that looks complete.
    """

    def __init__(self, dataset_dir: str, dataset_name: str, progress: Progress | None = None):
        self.dataset_dir, self.dataset_name, self.progress = dataset_dir, dataset_name, progress
        self.splits: dict[str, dict] = {}
        tf.io.gfile.makedirs(dataset_dir)
        previous = _info_or_none(dataset_dir)
        _remove(os.path.join(dataset_dir, INFO_FILENAME))
        for path in tf.io.gfile.glob(os.path.join(dataset_dir, "*" + TEMPORARY)):
            _remove(path)
        if previous and previous.get("dataset") not in (None, dataset_name):  # replaced with --force
            for path in tf.io.gfile.glob(os.path.join(dataset_dir, f"{previous['dataset']}_*.tfrecord")):
                if os.path.dirname(path) == os.path.dirname(os.path.join(dataset_dir, "x")):
                    _remove(path)  # a name from the info file never leads out of dataset_dir

    def write_split(self, split_name: str, records: Iterable[bytes], num_shards: int, total: int = 0) -> int:
        """Writes serialized records round-robin into ``num_shards`` files; returns how many."""
        final = [
            shard_filename(self.dataset_dir, self.dataset_name, split_name, i, num_shards)
            for i in range(num_shards)
        ]
        temporary = [path + TEMPORARY for path in final]
        writers = [tf.io.TFRecordWriter(path) for path in temporary]
        count = 0
        if self.progress:
            self.progress(0, total)  # a new pass starts now
        try:
            for count, record in enumerate(records, start=1):
                writers[(count - 1) % num_shards].write(record)
                if self.progress and (count % 100 == 0 or count == total):
                    self.progress(count, total)
        except BaseException:
            for writer, path in zip(writers, temporary, strict=True):
                writer.close()
                _remove(path)
            raise
        for writer in writers:
            writer.close()
        for tmp, path in zip(temporary, final, strict=True):
            tf.io.gfile.rename(tmp, path, overwrite=True)
        pattern = os.path.join(self.dataset_dir, f"{self.dataset_name}_{split_name}-*-of-*.tfrecord")
        for stale in set(tf.io.gfile.glob(pattern)) - set(final):
            _remove(stale)
        self.splits[split_name] = {
            "num_examples": count,
            "num_shards": num_shards,
            "shard_bytes": [tf.io.gfile.stat(path).length for path in final],  # what check_split compares
        }
        print(f"{split_name}: {count} examples in {num_shards} shard(s)", flush=True)
        return count

    def finish(self, labels_to_names: dict[int, str], info: dict) -> dict:
        """Writes ``labels.txt`` and, last, ``dataset_info.json``; returns the info written.

        Args:
          labels_to_names: Class id -> class name.
          info: What ``read_split`` needs beside the splits: ``image_shape``
            (``[height, width, channels]``, None for a height or width that
            varies; the feature shape for data that are not images), and
            ``num_classes`` (default: as many as ``labels_to_names`` names);
            anything else is kept as it is. ``task`` defaults to classification.

        Raises:
          DatasetError: ``info`` lacks ``image_shape``, or the split records
            nothing; nothing then looks finished (no info file is written).
        """
        info = {"dataset": self.dataset_name, "task": names.CLASSIFICATION,
                "num_classes": len(labels_to_names), **info, "splits": self.splits}  # fmt: skip
        if problem := _missing(info):
            raise DatasetError(
                f"the conversion of {self.dataset_name} wrote its shards but not dataset_info.json: {problem}"
            )
        write_label_file(labels_to_names, self.dataset_dir)
        write_text(os.path.join(self.dataset_dir, INFO_FILENAME), json.dumps(info, indent=2) + "\n")
        return info


def _missing(info: dict) -> str | None:
    """What a dataset info lacks that ``read_split`` needs, in words; None when nothing."""
    if not isinstance(info.get("image_shape"), list | tuple):
        return (
            "finish(labels, info) needs info['image_shape'], e.g. {'image_shape': [height, width, channels]} "
            f"(None for a height or width that varies: [None, None, 3]); it got {info.get('image_shape')!r}"
        )
    if not info["splits"]:
        return "no split was written: call write_split(name, records, num_shards) before finish"
    return None


def _remove(path: str) -> None:
    if tf.io.gfile.exists(path):
        tf.io.gfile.remove(path)


def write_image_arrays(
    dataset_name: str,
    arrays: dict[str, tuple[np.ndarray, np.ndarray]],
    class_names,
    dataset_dir: str,
    num_shards: int | None,
    examples_per_shard: int,
    progress: Progress | None = None,
) -> dict:
    """Writes uint8 images [n, H, W, C] and labels per split as PNG examples, then the labels and info."""
    writer = DatasetWriter(dataset_dir, dataset_name, progress)
    for split_name, (images, labels) in arrays.items():
        shards = num_shards or max(1, -(-len(images) // examples_per_shard))
        writer.write_split(split_name, example_codec.png_examples(images, labels), shards, len(images))
    shape = list(next(iter(arrays.values()))[0].shape[1:])
    return writer.finish(
        dict(enumerate(class_names)), {"num_classes": len(class_names), "image_shape": shape}
    )


# --- Reading back ------------------------------------------------------------------------

Decoder = Callable[[tuple], Callable]  # image_shape -> (serialized record -> (image, label))


def read_split(
    dataset_name: str,
    split_name: str,
    dataset_dir: str | None,
    decoder: Decoder = example_codec.image_decoder,
) -> DatasetSplit:
    """Describes one split of a converted dataset from its ``dataset_info.json``.

    ``decoder`` makes the split's record decoder from its image shape (default:
    TF-Slim's classification records).

    Raises:
      DatasetError: the folder holds no finished conversion of this dataset,
        lacks the split, or misses shards.
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
    missing = [path for path in files if not tf.io.gfile.exists(path)]
    if missing:
        raise DatasetError(
            f"{len(missing)} of {num_shards} shards of {dataset_name}/{split_name} are missing "
            f"(first: {missing[0]}). Convert the dataset again: download_and_convert_data.py "
            f"--dataset_name={dataset_name} --dataset_dir={dataset_dir} --overwrite."
        )
    task = info.get("task", names.CLASSIFICATION)
    image_shape = tuple(info["image_shape"])
    return DatasetSplit(
        dataset_name=dataset_name,
        split_name=split_name,
        num_samples=splits[split_name]["num_examples"],
        task=task,
        num_classes=info["num_classes"],
        labels_to_names=read_label_file(dataset_dir),
        image_shape=image_shape,
        # Up to 16 files read at once, record by record in turn (for shards a DatasetWriter dealt, that
        # is the order it wrote): a deterministic order, as eval and export need.
        records=lambda: tf.data.TFRecordDataset(list(files), num_parallel_reads=min(len(files), 16)),
        decode=decoder(image_shape),
        files=files,
        info=info,
        mirror_invariant=info.get("mirror_invariant", True),
    )


CHECK_BY_READING_BYTES = 256 << 20


def check_split(split: DatasetSplit) -> None:
    """Checks every shard's size against the one its converter recorded: a stat per shard, no record read.

    What train.py and eval.py run before they start, so that starting costs O(shards), not a pass over
    the data. A corrupt record inside a shard of the right size is caught where it is read (the reader's
    DataLossError, then ``verify_split`` names the shard). A conversion that recorded no sizes (an older
    one, or another tool's shards) is read through once instead when it is small (256 MB), else
    checked only where read.

    Raises:
      DatasetError: a shard's size differs from the recorded one (it names the shard).
    """
    info = (split.info or {}).get("splits", {}).get(split.split_name, {})
    recorded = info.get("shard_bytes")
    if recorded is None or len(recorded) != len(split.files):
        total = sum(tf.io.gfile.stat(path).length for path in split.files)
        if total <= CHECK_BY_READING_BYTES:
            verify_split(split)
        return
    for path, wanted in zip(split.files, recorded, strict=True):
        found = tf.io.gfile.stat(path).length
        if found != wanted:
            raise DatasetError(
                f"{path} holds {found} bytes where dataset_info.json records {wanted}: the shard is "
                f"truncated or was replaced since it was converted; {_reconvert(split)}"
            )


def verify_split(split: DatasetSplit) -> None:
    """Reads every record once: each shard must hold its share of the split, and no corrupt record.

    Raises:
      DatasetError: a shard is short or long (it names the shard), or holds a
        corrupt record.
    """
    if not split.files:
        return
    expected = shard_sizes(split.num_samples, len(split.files))
    for path, wanted in zip(split.files, expected, strict=True):
        try:
            found = int(
                tf.data.TFRecordDataset(path, buffer_size=8 << 20).reduce(np.int64(0), lambda n, _: n + 1)
            )
        except tf.errors.DataLossError as e:
            raise DatasetError(f"{path}: corrupt record ({cause(e)}); {_reconvert(split)}") from e
        if found != wanted:
            raise DatasetError(
                f"{path} holds {found} records where dataset_info.json promises {wanted} "
                f"({split.num_samples} in {split.dataset_name}/{split.split_name}): the shard is "
                f"truncated or was replaced; {_reconvert(split)}"
            )


def _reconvert(split: DatasetSplit) -> str:
    folder = os.path.dirname(split.files[0]) if split.files else "DIR"
    return (
        f"convert it again with download_and_convert_data.py --dataset_name={split.dataset_name} "
        f"--dataset_dir={folder} --overwrite"
    )
