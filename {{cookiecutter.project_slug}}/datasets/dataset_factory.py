"""Maps dataset names to their modules.

To add a dataset with code of its own, write ``datasets/<name>.py`` (with
``get_split`` and, where it has raw data to convert, ``download_and_convert``;
``python -m datasets.new_dataset --name=<name>`` writes one to fill in) and add
it to ``datasets_map``. Images converted from class folders need no module:
any other name is looked up in its ``--dataset_dir`` (see ``image_folder``).
"""

from __future__ import annotations

import json
import os
from types import ModuleType

from datasets import cifar10, dataset_utils, flowers, image_folder, mnist, sine

datasets_map: dict[str, ModuleType] = {
    "cifar10": cifar10,
    "flowers": flowers,
    "mnist": mnist,
    "sine": sine,
}


def get_dataset_module(name: str) -> ModuleType:
    """Returns the module of registered dataset ``name``.

    Raises:
      DatasetError: ``name`` is not registered; the message lists the known names.
    """
    if name not in datasets_map:
        raise dataset_utils.DatasetError(
            f"unknown dataset {name!r}; known datasets: {', '.join(sorted(datasets_map))}. "
            "Your own images: convert a folder of class folders with download_and_convert_data.py "
            f"--dataset_name={name} --source_dir=IMAGES --dataset_dir=DATA and pass that "
            "--dataset_dir. Data that needs code: python -m datasets.new_dataset "
            f"--name={name}, then register it in datasets/dataset_factory.py."
        )
    return datasets_map[name]


def get_dataset(name: str, split_name: str, dataset_dir: str | None) -> dataset_utils.DatasetSplit:
    """Describes split ``split_name`` of dataset ``name`` stored in ``dataset_dir``.

    Registered names use their module; any other name must be images converted
    into ``dataset_dir`` by ``image_folder.convert``.
    """
    if name not in datasets_map and _is_image_folder(name, dataset_dir):
        return image_folder.get_split(split_name, dataset_dir, name)
    return get_dataset_module(name).get_split(split_name, dataset_dir)


def _is_image_folder(name: str, dataset_dir: str | None) -> bool:
    path = os.path.join(dataset_dir or "", dataset_utils.INFO_FILENAME)
    if not dataset_dir or not os.path.exists(path):
        return False
    with open(path, encoding="utf-8") as f:
        info = json.load(f)
    return info.get("format") == image_folder.FORMAT and info.get("dataset") == name
