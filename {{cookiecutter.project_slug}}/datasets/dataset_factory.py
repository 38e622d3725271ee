"""Maps dataset names to their modules, and folders of your own data to the converter that reads them.

A registered dataset is a module in ``datasets/`` with a ``NAME`` and a
``get_split`` (and, where it has raw data to convert, ``download_and_convert``;
``python -m datasets.new_dataset --name=<name>`` writes one to fill in): the
factory finds it, nothing else needs editing. Your own images need no module:
a no-code converter (a module with a ``FORMAT``, ``looks_like``, ``convert``
and ``get_split``; ``image_folder`` for class folders) converts them under any
other name, and they are read back from their ``--dataset_dir``.
"""

from __future__ import annotations

import functools
import os
from types import ModuleType

import tensorflow as tf

import datasets
from datasets import converted, image_folder
from datasets.splits import DatasetError, DatasetSplit
from registry import discover


@functools.cache
def datasets_map() -> dict[str, ModuleType]:
    """Registered dataset name -> its module."""
    return {m.NAME: m for m in discover(datasets, "get_split") if hasattr(m, "NAME")}


@functools.cache
def converters() -> dict[str, ModuleType]:
    """The no-code converters by the ``format`` they write into ``dataset_info.json``."""
    return {m.FORMAT: m for m in discover(datasets, "looks_like")}


def get_dataset_module(name: str) -> ModuleType:
    """Returns the module of registered dataset ``name``.

    Raises:
      DatasetError: ``name`` is not registered; the message lists the known names.
    """
    if name not in datasets_map():
        raise DatasetError(
            f"unknown dataset {name!r}; known datasets: {', '.join(sorted(datasets_map()))}. "
            "Your own images: convert a folder of class folders with download_and_convert_data.py "
            f"--dataset_name={name} --source_dir=IMAGES --dataset_dir=DATA and pass that "
            f"--dataset_dir. Data that needs code: python -m datasets.new_dataset --name={name}."
        )
    return datasets_map()[name]


def get_dataset(name: str, split_name: str, dataset_dir: str | None) -> DatasetSplit:
    """Describes split ``split_name`` of dataset ``name`` stored in ``dataset_dir``.

    Registered names use their module; any other name must have been converted
    into ``dataset_dir`` under that name by ``download_and_convert_data.py``.
    """
    if name not in datasets_map() and dataset_dir and _converted_as(name, dataset_dir):
        written_by = converted.read_dataset_info(name, dataset_dir).get("format", image_folder.FORMAT)
        if written_by not in converters():
            raise DatasetError(
                f"{dataset_dir} holds {written_by!r} records, which this project cannot read (it has "
                f"converters for {', '.join(sorted(converters()))}); read it with the project that wrote it."
            )
        return converters()[written_by].get_split(split_name, dataset_dir, name)
    return get_dataset_module(name).get_split(split_name, dataset_dir)


def get_first_split(name: str, split_names: list[str], dataset_dir: str | None) -> DatasetSplit:
    """The first of ``split_names`` that dataset ``name`` has (a held-out split: validation, else test).

    Raises:
      DatasetError: it has none of them (the last one's error, which lists the splits it has).
    """
    for split_name in split_names[:-1]:
        try:
            return get_dataset(name, split_name, dataset_dir)
        except DatasetError:
            continue
    return get_dataset(name, split_names[-1], dataset_dir)


def _converted_as(name: str, dataset_dir: str) -> bool:
    return tf.io.gfile.exists(os.path.join(dataset_dir, converted.INFO_FILENAME)) and (
        converted.read_dataset_info(name, dataset_dir).get("dataset") == name
    )


def converter_for(source_dir: str) -> ModuleType:
    """The converter for a folder of your own data: the first other than class folders that knows it."""
    specific = [m for m in converters().values() if m is not image_folder and m.looks_like(source_dir)]
    return specific[0] if specific else image_folder
