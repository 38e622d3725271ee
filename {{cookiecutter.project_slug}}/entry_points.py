"""The console scripts of the installed project (``pyproject.toml``'s ``[project.scripts]``).

The wheel installs the whole project as one package, ``{{ cookiecutter.project_slug }}``, so nothing lands in
site-packages under a generic name (``datasets`` is also Hugging Face's). Its modules import each other
by the TF-Slim layout's names (``from datasets import dataset_factory``), as they do in this folder; so
each command, a process of its own, first puts the package's folder on the path. Importing the package
elsewhere changes nothing.
"""

import importlib
import os
import sys


def _command(module: str):
    def main() -> int:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        return importlib.import_module(module).main()

    return main


train, evaluate, infer, export = _command("train"), _command("eval"), _command("infer"), _command("export")
convert, view = _command("download_and_convert_data"), _command("view_dataset")
