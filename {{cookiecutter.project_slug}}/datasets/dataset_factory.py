"""Maps dataset names to their modules.

To add a dataset, write ``datasets/<name>.py`` (with ``get_split`` and,
where it has raw data to convert, ``download_and_convert``) and add one line
to ``datasets_map``.
"""

from __future__ import annotations

from types import ModuleType

from datasets import dataset_utils, mnist, sine

datasets_map: dict[str, ModuleType] = {
    "mnist": mnist,
    "sine": sine,
}


def get_dataset_module(name: str) -> ModuleType:
    """Returns the module of dataset ``name``.

    Raises:
      ValueError: ``name`` is not registered; the message lists the known names.
    """
    if name not in datasets_map:
        raise ValueError(
            f"unknown dataset {name!r}; known datasets: {', '.join(sorted(datasets_map))}. "
            "A new dataset is a module in datasets/ plus one line in "
            "datasets/dataset_factory.py."
        )
    return datasets_map[name]


def get_dataset(name: str, split_name: str, dataset_dir: str | None) -> dataset_utils.DatasetSplit:
    """Describes split ``split_name`` of dataset ``name`` stored in ``dataset_dir``."""
    return get_dataset_module(name).get_split(split_name, dataset_dir)
