"""A Jinja extension the template's hooks use (cookiecutter loads it through ``_extensions``).

``project_modules("datasets")`` lists the module and package names in a
folder of the project template, read from this repository at render time, so
the pre-generation hook refuses names that are taken without a hand-kept list;
``choices()`` gives each multiple-choice question of ``cookiecutter.json`` and
its choices, which the hook checks the answers against.
"""

from __future__ import annotations

import json
from pathlib import Path

from jinja2.ext import Extension

TEMPLATE = Path(__file__).resolve().parent
PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.project_slug}}"


def project_modules(folder: str = "") -> list[str]:
    """Sorted names of the ``.py`` modules and the packages in ``folder`` of the project template."""
    path = PROJECT_TEMPLATE / folder
    names = {p.stem for p in path.glob("*.py")}
    names |= {p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    return sorted(names)


def choices() -> dict[str, list[str]]:
    """Each multiple-choice question of cookiecutter.json and its choices."""
    questions = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    return {k: v for k, v in questions.items() if isinstance(v, list) and not k.startswith("_")}


class ProjectModules(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.globals["project_modules"] = project_modules
        environment.globals["choices"] = choices
