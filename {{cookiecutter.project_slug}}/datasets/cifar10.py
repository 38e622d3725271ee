"""CIFAR-10: 32x32 colour images in ten classes (airplane, automobile, ... truck).

Splits: ``train`` (50,000) and ``test`` (10,000). The converter reads the
"python version" archive ``cifar-10-python.tar.gz`` (downloaded, or from
``source_dir``, which may also hold it already extracted as
``cifar-10-batches-py/``) and writes PNG-encoded TF-Slim examples.
"""

from __future__ import annotations

import os
import pickle
import tempfile

import numpy as np

from datasets import dataset_utils, downloads

NAME = "cifar10"
SPLITS_TO_SIZES = {"train": 50_000, "test": 10_000}
NUM_CLASSES = 10
IMAGE_SHAPE = (32, 32, 3)
ARCHIVE = "cifar-10-python.tar.gz"
DOWNLOAD_URL = "https://www.cs.toronto.edu/~kriz/" + ARCHIVE
_BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
EXAMPLES_PER_SHARD = 10_000


def get_split(split_name: str, dataset_dir: str | None) -> dataset_utils.DatasetSplit:
    """Describes a split of the converted CIFAR-10 data in ``dataset_dir``."""
    return dataset_utils.read_split(NAME, split_name, dataset_dir)


def download_and_convert(
    dataset_dir: str, source_dir: str | None = None, overwrite: bool = False, num_shards: int | None = None
) -> dict:
    """Downloads (or reads from ``source_dir``) CIFAR-10 and converts it.

    Raises:
      dataset_utils.DatasetError: the archive is missing, truncated or not CIFAR-10.
      OSError: the download failed.
    """
    if os.path.exists(os.path.join(dataset_dir, dataset_utils.INFO_FILENAME)) and not overwrite:
        print(f"{dataset_dir} already holds converted CIFAR-10; pass --overwrite to redo it.")
        return dataset_utils.read_dataset_info(NAME, dataset_dir)
    with tempfile.TemporaryDirectory() as work:
        batches_dir = _batches_dir(source_dir, work)
        class_names = [
            n.decode() for n in _unpickle(os.path.join(batches_dir, "batches.meta"))[b"label_names"]
        ]
        arrays = {split: _read_split(batches_dir, split) for split in _BATCHES}

    return dataset_utils.write_image_arrays(
        NAME, arrays, class_names, dataset_dir, num_shards, EXAMPLES_PER_SHARD
    )


def _batches_dir(source_dir: str | None, work: str) -> str:
    """Finds (or downloads and extracts) the folder with the pickled batches."""
    if source_dir and os.path.isdir(os.path.join(source_dir, "cifar-10-batches-py")):
        return os.path.join(source_dir, "cifar-10-batches-py")
    archive = os.path.join(source_dir, ARCHIVE) if source_dir else downloads.download(DOWNLOAD_URL, work)
    if not os.path.exists(archive):
        raise dataset_utils.DatasetError(
            f"{archive} not found: --source_dir must hold {ARCHIVE} (or cifar-10-batches-py/ extracted)."
        )
    downloads.extract(archive, work)
    return os.path.join(work, "cifar-10-batches-py")


def _unpickle(path: str) -> dict:
    if not os.path.exists(path):
        raise dataset_utils.DatasetError(f"{path} not found: not a CIFAR-10 archive, or an incomplete one.")
    try:
        with open(path, "rb") as f:
            return pickle.load(f, encoding="bytes")
    except (pickle.UnpicklingError, EOFError, ValueError) as e:
        raise dataset_utils.DatasetError(f"{path} is corrupt ({e}); download the archive again.") from e


def _read_split(batches_dir: str, split_name: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for batch in _BATCHES[split_name]:
        data = _unpickle(os.path.join(batches_dir, batch))
        # Each row is 1024 red, then 1024 green, then 1024 blue values.
        images.append(np.asarray(data[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(np.asarray(data[b"labels"], np.int64))
    return np.concatenate(images), np.concatenate(labels)
