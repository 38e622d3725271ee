"""Renders the template once per session; tests that need other answers render their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]


def template_syntax_left(text: str) -> bool:
    """Whether Jinja's syntax is left in a rendered file (GitHub Actions' ``${{ ... }}`` is not Jinja's)."""
    return bool(re.search(r"(?<!\$)\{\{|\{%", text))


def render(output_dir: Path, **answers) -> Path:
    """Renders the template without prompts; returns the project folder."""
    return Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output_dir), extra_context=answers))


def pytest_addoption(parser):
    parser.addoption(
        "--project-marks",
        default="not slow",
        help="Marker expression for the rendered project's own suite (e.g. 'learning and not slow').",
    )
    parser.addoption(
        "--train-seed", type=int, default=0, help="Passed to the project's suite: its runs' --seed."
    )


JUNK = ("__pycache__", ".pytest_cache", ".ruff_cache", ".venv")


def pytest_sessionstart(session):
    """Refuses to render a template folder that holds tool output: it would be rendered too."""
    found = [p for name in JUNK for p in (TEMPLATE / "{{cookiecutter.project_slug}}").rglob(name)]
    if found:
        pytest.exit(
            f"the template folder holds generated files ({found[0]}, ...); remove them with "
            "`git clean -fdX '{{cookiecutter.project_slug}}'` and run tools from the repository root.",
            returncode=1,
        )


FULL = {"tasks": "classification_and_detection", "nets": "tf_slim_zoo", "runs_on": "local_and_cluster"}


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    """The project rendered with the default answers: the minimal one (shared: do not modify it)."""
    return render(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="session")
def full_project(tmp_path_factory) -> Path:
    """The project with every part (shared: do not modify it)."""
    return render(tmp_path_factory.mktemp("full"), **FULL)
