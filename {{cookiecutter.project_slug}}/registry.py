"""Registries built from the modules present: a factory finds its records, nothing registers itself.

Each factory (nets, preprocessing, tasks, datasets) reads one attribute from
every module of its package that defines it, e.g. ``NETS`` in ``nets/*.py``.
Adding a net, a task or a dataset is writing its module; deleting the module
removes it, with nothing else to edit. Importing a module registers nothing:
the factory reads the attribute it was asked for.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def discover(package: ModuleType, attribute: str) -> list[ModuleType]:
    """The modules of ``package`` that define ``attribute``, in name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, attribute):
            found.append(module)
    return found
