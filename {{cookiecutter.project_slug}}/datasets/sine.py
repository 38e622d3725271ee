"""Sine regression, the TF-Slim walkthrough's example: data made in code.

``x`` is uniform in [0, 10) and ``y = sin(x) + 5 + N(0, 0.3)``. Each split is
drawn from its own fixed seed, so every run sees the same numbers. No files
and no ``--dataset_dir`` are needed.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from datasets.splits import DatasetError, DatasetSplit
from tasks import names

NAME = "sine"
SPLITS_TO_SIZES = {"train": 10_000, "test": 1_000}
NOISE_STDDEV = 0.3
_SEEDS = {"train": 0, "test": 1}


def make_data(split_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Returns ``(x, y)``, float32 arrays of shape [n, 1]."""
    rng = np.random.default_rng(_SEEDS[split_name])
    n = SPLITS_TO_SIZES[split_name]
    x = rng.uniform(0.0, 10.0, size=(n, 1))
    y = np.sin(x) + 5.0 + rng.normal(0.0, NOISE_STDDEV, size=(n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def get_split(split_name: str, dataset_dir: str | None = None) -> DatasetSplit:
    """Describes a split; ``dataset_dir`` is ignored (the data are made in code)."""
    del dataset_dir
    if split_name not in SPLITS_TO_SIZES:
        raise DatasetError(
            f"dataset 'sine' has no split {split_name!r}; its splits are: {', '.join(SPLITS_TO_SIZES)}."
        )
    x, y = make_data(split_name)
    return DatasetSplit(
        dataset_name=NAME,
        split_name=split_name,
        num_samples=len(x),
        task=names.REGRESSION,
        num_classes=1,
        labels_to_names={},
        image_shape=(1,),
        records=lambda: tf.data.Dataset.from_tensor_slices((x, y)),
        decode=lambda x, y: (x, y),
    )
