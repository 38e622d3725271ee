"""Writes a new dataset module to fill in.

    python -m datasets.new_dataset --name=my_images

creates ``datasets/my_images.py``; the dataset factory finds it by its
``NAME``, so nothing else needs editing. It converts class folders as it
stands; fill in its ``list_images`` where your labels live elsewhere (a CSV
file, file names, annotations). Needs no TensorFlow, so the project
template's hook can run it too.
"""

from __future__ import annotations

import argparse
import keyword
import os
import re
import string
import sys
from pathlib import Path

DATASETS_DIR = os.path.dirname(os.path.abspath(__file__))

# The module to write: a module of its own (so it is linted and read as one), in which ``${name}``
# stands for the dataset's name (string.Template: this file is rendered by cookiecutter, which must not
# see double braces). Its name starts with "_", so the dataset factory does not take it for a dataset.
TEMPLATE = os.path.join(DATASETS_DIR, "_module_template.py")


def check_name(name: str) -> None:
    """Raises ValueError unless ``name`` can be a new dataset module."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise ValueError(
            f"dataset name {name!r} must be a Python module name: lower case letters, digits "
            "and underscores, starting with a letter"
        )
    if os.path.exists(os.path.join(DATASETS_DIR, f"{name}.py")):
        raise ValueError(f"datasets/{name}.py exists already; pick another name")


def create(name: str) -> str:
    """Writes ``datasets/<name>.py``; returns its path."""
    check_name(name)
    path = os.path.join(DATASETS_DIR, f"{name}.py")
    module = string.Template(Path(TEMPLATE).read_text(encoding="utf-8")).substitute(name=name)
    Path(path).write_text(module, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--name", required=True, help="The dataset's name, also its module's.")
    args = parser.parse_args(argv)
    try:
        path = create(args.name)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Wrote {path}: dataset {args.name!r} is registered by its NAME.")
    print(
        f"Next: fill in its list_images, then python download_and_convert_data.py "
        f"--dataset_name={args.name} --source_dir=SOURCE --dataset_dir=DATA"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
