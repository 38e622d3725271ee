"""Registries built from the modules present: a factory finds its records, nothing registers itself.

Each factory (nets, preprocessing, tasks, datasets) reads one attribute from
every module of its package that defines it, e.g. ``NETS`` in ``nets/*.py``.
Adding a net, a task or a dataset is writing its module; deleting the module
removes it, with nothing else to edit. Importing a module registers nothing:
the factory reads the attribute it was asked for.
"""

from __future__ import annotations

import ast
import importlib
import os
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


def declared_keys(package: ModuleType, attribute: str) -> list[str] | None:
    """The keys of every module's ``attribute`` dict, read from the modules' source without running them.

    What train.py's --help lists (the nets' names) without importing the nets, and so TensorFlow, which
    their classes need. Reads ``NAME = {"a": ...}`` and ``{key: ... for key in KEYS}``, where ``KEYS``
    is a literal of strings (or a dict literal's keys), or a module-level name bound to one.

    Returns:
      The keys in module order, or None when a module declares ``attribute`` in any other way (then
      ``discover`` it: importing tells).
    """
    keys: list[str] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.ispkg:
            continue
        path = os.path.join(package.__path__[0], f"{info.name}.py")
        if not os.path.isfile(path):
            return None  # a module without its source (compiled only): importing tells
        with open(path, encoding="utf-8") as f:
            body = ast.parse(f.read()).body
        bound = {t.id: node.value for node in body if isinstance(node, ast.Assign) for t in node.targets
                 if isinstance(t, ast.Name)}  # fmt: skip
        found = _keys(bound[attribute], bound) if attribute in bound else []
        if found is None:
            return None
        keys += found
    return keys


def _keys(node: ast.expr, bound: dict[str, ast.expr]) -> list[str] | None:
    """The string keys of a dict literal, or of a one-loop dict comprehension over literal keys; else None."""
    if isinstance(node, ast.DictComp):
        loop = node.generators[0]
        key, target = getattr(node.key, "id", None), getattr(loop.target, "id", "")
        if len(node.generators) > 1 or loop.ifs or key != target:
            return None
        node = bound.get(loop.iter.id) if isinstance(loop.iter, ast.Name) else loop.iter
    items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
    if not items:
        return None
    keys = [item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    return keys if len(keys) == len(items) else None
