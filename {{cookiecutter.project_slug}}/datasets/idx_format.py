"""Reading and writing the IDX files MNIST ships in (optionally gzipped).

An IDX file is a big-endian header (two zero bytes, a type code, the number of
dimensions, then one uint32 per dimension) followed by the array's bytes.
MNIST uses unsigned bytes: magic 2051 for images [n, 28, 28] and 2049 for
labels [n].
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

from datasets.splits import DatasetError

# The files MNIST is distributed as, per split: (images, labels).
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
_UBYTE = 0x08


class IdxError(DatasetError):
    """An IDX file is missing, truncated or not what it should be."""


def read_idx(path: str, expected_magic: int) -> np.ndarray:
    """Reads a uint8 IDX file (``.gz`` or raw) into an array.

    Args:
      path: The file.
      expected_magic: ``IMAGES_MAGIC`` or ``LABELS_MAGIC``.

    Returns:
      A uint8 array shaped as the header says.

    Raises:
      IdxError: the file is missing, truncated, or has another magic number.
    """
    if not os.path.exists(path):
        raise IdxError(f"{path}: file not found")
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (EOFError, OSError, zlib.error) as e:
        raise IdxError(f"{path}: cannot be read ({e}); the file is truncated or corrupt") from e
    if len(data) < 8:
        raise IdxError(f"{path}: only {len(data)} bytes, too short for an IDX header")
    (magic,) = struct.unpack(">I", data[:4])
    if magic != expected_magic:
        raise IdxError(
            f"{path}: magic number {magic}, expected {expected_magic} "
            f"({'images' if expected_magic == IMAGES_MAGIC else 'labels'}); "
            "is this the right file?"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", data[4:header])
    size = int(np.prod(shape))
    if len(data) - header != size:
        raise IdxError(
            f"{path}: header promises {size} bytes of data for shape {shape}, "
            f"file has {len(data) - header}; the file is truncated or corrupt"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(path: str, array: np.ndarray) -> None:
    """Writes a uint8 array as an IDX file, gzipped when ``path`` ends in .gz."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, _UBYTE, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())
