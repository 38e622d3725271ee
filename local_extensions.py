"""A Jinja extension the template's hooks use (cookiecutter loads it through ``_extensions``).

``project_modules("datasets")`` lists the module and package names in a
folder of the project template, read from this repository at render time, so
the pre-generation hook refuses names that are taken without a hand-kept list.
"""

from __future__ import annotations

from pathlib import Path

from jinja2.ext import Extension

PROJECT_TEMPLATE = Path(__file__).resolve().parent / "{{cookiecutter.project_slug}}"


def project_modules(folder: str = "") -> list[str]:
    """Sorted names of the ``.py`` modules and the packages in ``folder`` of the project template."""
    path = PROJECT_TEMPLATE / folder
    names = {p.stem for p in path.glob("*.py")}
    names |= {p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    return sorted(names)


class ProjectModules(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.globals["project_modules"] = project_modules
