"""Template updates reach projects made earlier: cruft creates a project from a git copy of the
template, the template changes, and `cruft update` brings the change in, keeping the project's edits."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import TEMPLATE

CRUFT = [sys.executable, "-m", "cruft"]


def git(folder: Path, *args: str) -> None:
    command = ["git", "-c", "user.email=dev@example.com", "-c", "user.name=dev", *args]
    subprocess.run(command, cwd=folder, check=True, capture_output=True)


def test_cruft_update_brings_a_template_change_and_keeps_the_projects_edits(tmp_path):
    template = tmp_path / "template"
    junk = shutil.ignore_patterns(".git", ".venv", "build", "__pycache__", ".pytest_cache", ".ruff_cache")
    shutil.copytree(TEMPLATE, template, ignore=junk)
    git(template, "init", "-q")
    git(template, "add", "-A")
    git(template, "commit", "-qm", "template")
    command = [*CRUFT, "create", str(template), "--no-input", "--output-dir", str(tmp_path / "out")]
    created = subprocess.run(command, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr[-2000:]
    project = tmp_path / "out" / "image_models"
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "generated")
    with open(project / "README.md", "a") as f:
        f.write("\nOur own notes on this project.\n")
    git(project, "commit", "-qam", "our notes")

    notes = template / "{{cookiecutter.project_slug}}" / "checkpoints" / "README.md"
    notes.write_text(notes.read_text() + "\nA line the template added later.\n")
    git(template, "commit", "-qam", "template change")

    updated = subprocess.run([*CRUFT, "update", "-y"], cwd=project, capture_output=True, text=True)
    assert updated.returncode == 0, updated.stdout[-2000:] + updated.stderr[-2000:]
    assert "A line the template added later." in (project / "checkpoints" / "README.md").read_text()
    assert "Our own notes on this project." in (project / "README.md").read_text()
