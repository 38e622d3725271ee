"""MNIST: 28x28 grayscale handwritten digits in ten classes.

Splits: ``train`` (60,000 images) and ``test`` (10,000). The converter reads
the four IDX ``.gz`` files (downloading them, checked against their published
MD5 checksums, unless ``source_dir`` holds them) and writes PNG-encoded
TF-Slim examples into sharded TFRecord files, plus ``labels.txt`` and
``dataset_info.json``. The split sizes actually written are read back from
``dataset_info.json``, so a subset converts and trains as well.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile

import numpy as np

from datasets import converted, downloads, idx_format
from datasets.splits import DatasetSplit

NAME = "mnist"
SPLITS_TO_SIZES = {"train": 60_000, "test": 10_000}
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
CLASS_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
EXAMPLES_PER_SHARD = 10_000

DOWNLOAD_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
SOURCE_FILES = idx_format.MNIST_FILES
# The checksums published with the files on Yann LeCun's MNIST page.
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def get_split(split_name: str, dataset_dir: str | None) -> DatasetSplit:
    """Describes a split of the converted MNIST data in ``dataset_dir``."""
    # A mirrored 2, 3 or 7 is no digit: training does not flip these.
    return dataclasses.replace(converted.read_split(NAME, split_name, dataset_dir), mirror_invariant=False)


def download_and_convert(
    dataset_dir: str,
    source_dir: str | None = None,
    overwrite: bool = False,
    num_shards: int | None = None,
    force: bool = False,
    progress: converted.Progress | None = None,
) -> dict:
    """Downloads (or reads from ``source_dir``) MNIST and converts it.

    Args:
      dataset_dir: Where the TFRecord shards, ``labels.txt`` and
        ``dataset_info.json`` go.
      source_dir: A folder holding the four IDX files already downloaded
        (``.gz`` or uncompressed); None downloads them.
      overwrite: Convert again over a finished MNIST conversion.
      num_shards: Shards per split (default: one per 10,000 images).
      force: Replace another dataset converted into ``dataset_dir``.
      progress: Called with (done, total) as examples are written.

    Returns:
      The dataset info that was written (or found).

    Raises:
      idx_format.IdxError: a source file is missing, truncated or not MNIST.
      DatasetError: the download failed or is not the published file.
    """
    found = converted.already_converted(dataset_dir, NAME, overwrite, force)
    if found:
        return found
    # Read and check every source file before touching dataset_dir, so a bad
    # file fails fast and an existing conversion stays as it was.
    with tempfile.TemporaryDirectory() as download_dir:
        if source_dir is None:
            for filename in MD5:
                downloads.download(DOWNLOAD_URL + filename, download_dir, MD5[filename])
            source_dir = download_dir
        arrays = {split: _read_split_files(source_dir, split) for split in SOURCE_FILES}

    arrays = {split: (images[..., np.newaxis], labels) for split, (images, labels) in arrays.items()}
    return converted.write_image_arrays(
        NAME, arrays, CLASS_NAMES, dataset_dir, num_shards, EXAMPLES_PER_SHARD, progress
    )


def _read_split_files(source_dir: str, split_name: str) -> tuple[np.ndarray, np.ndarray]:
    images_name, labels_name = SOURCE_FILES[split_name]
    images = idx_format.read_idx(_find(source_dir, images_name), idx_format.IMAGES_MAGIC)
    labels = idx_format.read_idx(_find(source_dir, labels_name), idx_format.LABELS_MAGIC)
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE[:2]:
        raise idx_format.IdxError(f"{images_name}: images of shape {images.shape[1:]}, expected 28x28")
    if len(images) != len(labels):
        raise idx_format.IdxError(
            f"{split_name}: {len(images)} images but {len(labels)} labels in {source_dir}"
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        raise idx_format.IdxError(f"{labels_name}: label {labels.max()} is not a digit")
    return images, labels


def _find(source_dir: str, gz_name: str) -> str:
    """Accepts ``name.gz`` or the uncompressed ``name``; names what is missing."""
    for name in (gz_name, gz_name.removesuffix(".gz")):
        if os.path.exists(os.path.join(source_dir, name)):
            return os.path.join(source_dir, name)
    raise idx_format.IdxError(
        f"{os.path.join(source_dir, gz_name)}: file not found. --source_dir must hold "
        f"the four MNIST files: {', '.join(MD5)}."
    )
