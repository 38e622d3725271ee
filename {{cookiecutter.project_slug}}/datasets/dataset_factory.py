"""Maps dataset names to their modules.

To add a dataset with code of its own, write ``datasets/<name>.py`` (with
``get_split`` and, where it has raw data to convert, ``download_and_convert``;
``python -m datasets.new_dataset --name=<name>`` writes one to fill in) and add
it to ``datasets_map``. Your own images need no module: a folder of class
folders, or of Pascal VOC annotations, converted under any other name is read
back from its ``--dataset_dir``.
"""

from __future__ import annotations

import os
from types import ModuleType

import tensorflow as tf

from datasets import (
    cifar10,
    converted,
    flowers,
    image_folder,
    mnist,
    pascal_voc,
    pascalvoc_2007,
    pascalvoc_2012,
    sine,
)
from datasets.splits import DatasetError, DatasetSplit

datasets_map: dict[str, ModuleType] = {
    "cifar10": cifar10,
    "flowers": flowers,
    "mnist": mnist,
    "pascalvoc_2007": pascalvoc_2007,
    "pascalvoc_2012": pascalvoc_2012,
    "sine": sine,
}


def get_dataset_module(name: str) -> ModuleType:
    """Returns the module of registered dataset ``name``.

    Raises:
      DatasetError: ``name`` is not registered; the message lists the known names.
    """
    if name not in datasets_map:
        raise DatasetError(
            f"unknown dataset {name!r}; known datasets: {', '.join(sorted(datasets_map))}. "
            "Your own images: convert a folder of class folders with download_and_convert_data.py "
            f"--dataset_name={name} --source_dir=IMAGES --dataset_dir=DATA and pass that "
            "--dataset_dir. Data that needs code: python -m datasets.new_dataset "
            f"--name={name}, then register it in datasets/dataset_factory.py."
        )
    return datasets_map[name]


def get_dataset(name: str, split_name: str, dataset_dir: str | None) -> DatasetSplit:
    """Describes split ``split_name`` of dataset ``name`` stored in ``dataset_dir``.

    Registered names use their module; any other name must have been converted
    into ``dataset_dir`` under that name by ``download_and_convert_data.py``.
    """
    if name not in datasets_map and dataset_dir and _converted_as(name, dataset_dir):
        return converted.read_split(name, split_name, dataset_dir)
    return get_dataset_module(name).get_split(split_name, dataset_dir)


def _converted_as(name: str, dataset_dir: str) -> bool:
    return tf.io.gfile.exists(os.path.join(dataset_dir, converted.INFO_FILENAME)) and (
        converted.read_dataset_info(name, dataset_dir).get("dataset") == name
    )


def converter_for(source_dir: str):
    """The no-code converter for a folder of your own data: Pascal VOC (detection) or class folders."""
    return pascal_voc.convert if pascal_voc.is_voc_folder(source_dir) else image_folder.convert
