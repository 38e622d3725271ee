"""CIFAR-10: 32x32 colour images in ten classes (airplane, automobile, ... truck).

Splits: ``train`` (50,000) and ``test`` (10,000). The converter reads the
official binary archive ``cifar-10-binary.tar.gz`` (downloaded, or from
``source_dir``, which may also hold it extracted as ``cifar-10-batches-bin/``):
a plain byte format, one label byte and 3,072 pixel bytes per image.

The "python version" (``cifar-10-python.tar.gz`` or ``cifar-10-batches-py/``)
is pickled, and unpickling a file can run any code it holds. It is accepted
only when every file has its published MD5 checksum, and even then is read by
an unpickler that loads nothing but the dict, list, bytes and numpy array
types those files contain.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile

import numpy as np

from datasets import converted, downloads
from datasets.splits import DatasetError, DatasetSplit

NAME = "cifar10"
SPLITS_TO_SIZES = {"train": 50_000, "test": 10_000}
NUM_CLASSES = 10
IMAGE_SHAPE = (32, 32, 3)
EXAMPLES_PER_SHARD = 10_000
DOWNLOAD_URL = "https://www.cs.toronto.edu/~kriz/"
BINARY_ARCHIVE, PYTHON_ARCHIVE = "cifar-10-binary.tar.gz", "cifar-10-python.tar.gz"
BINARY_DIR, PYTHON_DIR = "cifar-10-batches-bin", "cifar-10-batches-py"
# Published on the CIFAR-10 page (archives) and with torchvision (the pickled batch files).
MD5 = {
    BINARY_ARCHIVE: "c32a1d4ab5d03f1284b67883e8d87530",
    PYTHON_ARCHIVE: "c58f30108f718f92721af3b95e74349a",
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
_BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
_RECORD_BYTES = 1 + 32 * 32 * 3


def get_split(split_name: str, dataset_dir: str | None) -> DatasetSplit:
    """Describes a split of the converted CIFAR-10 data in ``dataset_dir``."""
    return converted.read_split(NAME, split_name, dataset_dir)


def download_and_convert(
    dataset_dir: str,
    source_dir: str | None = None,
    overwrite: bool = False,
    num_shards: int | None = None,
    force: bool = False,
    progress: converted.Progress | None = None,
) -> dict:
    """Downloads (or reads from ``source_dir``) CIFAR-10 and converts it.

    Raises:
      DatasetError: the archive is missing, damaged, not the official one, or
        not CIFAR-10; the download failed.
    """
    found = converted.already_converted(dataset_dir, NAME, overwrite, force)
    if found:
        return found
    with tempfile.TemporaryDirectory() as work:
        class_names, arrays = _read(source_dir, work)
    return converted.write_image_arrays(
        NAME, arrays, class_names, dataset_dir, num_shards, EXAMPLES_PER_SHARD, progress
    )


def _read(source_dir: str | None, work: str) -> tuple[list[str], dict]:
    """Class names and per-split (images, labels), from whichever form ``source_dir`` holds."""
    if source_dir is None:
        downloads.extract(downloads.download(DOWNLOAD_URL + BINARY_ARCHIVE, work, MD5[BINARY_ARCHIVE]), work)
        return _read_binary(os.path.join(work, BINARY_DIR))
    for name, folder, reader in (
        (BINARY_ARCHIVE, BINARY_DIR, _read_binary),
        (PYTHON_ARCHIVE, PYTHON_DIR, _read_pickled),
    ):
        if os.path.isdir(os.path.join(source_dir, folder)):
            return reader(os.path.join(source_dir, folder))
        archive = os.path.join(source_dir, name)
        if os.path.exists(archive):
            if reader is _read_pickled:
                downloads.check_md5(archive, MD5[name])
            downloads.extract(archive, work)
            return reader(os.path.join(work, folder))
    raise DatasetError(
        f"{source_dir} holds no CIFAR-10 files: --source_dir must hold {BINARY_ARCHIVE} "
        f"(or {BINARY_DIR}/ extracted)."
    )


def _read_binary(batches_dir: str) -> tuple[list[str], dict]:
    meta = os.path.join(batches_dir, "batches.meta.txt")
    if not os.path.exists(meta):
        raise DatasetError(f"{meta} not found: not a CIFAR-10 binary archive, or an incomplete one.")
    with open(meta, encoding="utf-8") as f:
        class_names = [line.strip() for line in f if line.strip()]
    arrays = {}
    for split, batches in _BATCHES.items():
        records = []
        for batch in batches:
            path = os.path.join(batches_dir, f"{batch}.bin")
            data = np.fromfile(path, np.uint8) if os.path.exists(path) else np.zeros(0, np.uint8)
            if data.size == 0 or data.size % _RECORD_BYTES:
                raise DatasetError(
                    f"{path} is missing or truncated ({data.size} bytes); download the archive again."
                )
            records.append(data.reshape(-1, _RECORD_BYTES))
        rows = np.concatenate(records)
        # Each row: the label byte, then 1024 red, 1024 green and 1024 blue values.
        arrays[split] = (
            rows[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1),
            rows[:, 0].astype(np.int64),
        )
    if len(class_names) != NUM_CLASSES or max(int(a[1].max()) for a in arrays.values()) >= NUM_CLASSES:
        raise DatasetError(f"{batches_dir} does not hold CIFAR-10's ten classes.")
    return class_names, arrays


def _read_pickled(batches_dir: str) -> tuple[list[str], dict]:
    class_names = [n.decode() for n in _unpickle(batches_dir, "batches.meta")[b"label_names"]]
    arrays = {}
    for split, batches in _BATCHES.items():
        data = [_unpickle(batches_dir, batch) for batch in batches]
        images = np.concatenate([np.asarray(d[b"data"], np.uint8) for d in data])
        labels = np.concatenate([np.asarray(d[b"labels"], np.int64) for d in data])
        arrays[split] = (images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels)
    return class_names, arrays


class _BatchUnpickler(pickle.Unpickler):
    """Loads only what CIFAR-10's batch files hold; any other class or function is refused."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name}")


def _unpickle(batches_dir: str, name: str) -> dict:
    path = os.path.join(batches_dir, name)
    if not os.path.exists(path):
        raise DatasetError(f"{path} not found: not a CIFAR-10 archive, or an incomplete one.")
    downloads.check_md5(path, MD5[name])  # before a single byte is unpickled
    try:
        with open(path, "rb") as f:
            return _BatchUnpickler(io.BytesIO(f.read()), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError) as e:
        raise DatasetError(f"{path} is corrupt ({e}); download the archive again.") from e
