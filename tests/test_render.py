"""Rendering: layout, no leftover template syntax, options, answers, refused answers."""

from __future__ import annotations

import itertools
import json
import py_compile
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import TEMPLATE, render, template_syntax_left
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from test_parts import PARTS

OPTIONS = json.loads((TEMPLATE / "cookiecutter.json").read_text())
CHOICES = {k: v for k, v in OPTIONS.items() if isinstance(v, list) and not k.startswith("_")}
# The answers that change packaging files; the parts (tasks, nets, runs_on) have tests/test_parts.py.
PACKAGING = {k: CHOICES[k] for k in ("tensorflow_package", "ci", "license")}


def test_the_default_project_has_the_tf_slim_layout(project):
    assert project.name == "image_models"
    for path in [
        "datasets/dataset_factory.py",
        "datasets/dataset_utils.py",
        "datasets/mnist.py",
        "datasets/sine.py",
        "preprocessing/preprocessing_factory.py",
        "preprocessing/lenet_preprocessing.py",
        "nets/nets_factory.py",
        "nets/lenet.py",
        "nets/regression.py",
        "nets/print_net.py",
        "deployment/model_deploy.py",
        "deployment/checkpointing.py",
        "deployment/run_config.py",
        "deployment/assembly.py",
        "serving/endpoints.py",
        "training/trainer.py",
        "checkpoints/README.md",
        "train.py",
        "eval.py",
        "infer.py",
        "download_and_convert_data.py",
        "quick_tour.py",
        "export.py",
        "view_dataset.py",
        "datasets/image_folder.py",
        "metrics/confusion_matrix.py",
        "benchmarks/inference_latency.py",
        "tests/test_nets.py",
        "requirements.txt",
        "requirements-dev.txt",
        "README.md",
        ".pre-commit-config.yaml",
        ".gitignore",
        ".cookiecutter.json",
        ".github/workflows/tests.yml",
    ]:
        assert (project / path).is_file(), path


@pytest.mark.parametrize(
    "answers",
    # Every combination of the packaging choices: each of them changes files.
    [dict(zip(PACKAGING, values, strict=True)) for values in itertools.product(*PACKAGING.values())],
    ids=lambda answers: "-".join(answers.values()),
)
def test_every_packaging_answer_renders_clean_python_and_no_template_syntax(tmp_path, answers):
    project = render(tmp_path, **answers)
    files = [p for p in project.rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not template_syntax_left(text), f"template syntax left in {path}"
        if path.suffix == ".py":
            py_compile.compile(str(path), cfile=str(tmp_path / "x.pyc"), doraise=True)
    assert f"{answers['tensorflow_package']}==2.21.0" in (project / "requirements.txt").read_text()
    assert (project / ".github").exists() == (answers["ci"] == "github-actions")
    assert (
        "CI (`.github/workflows/tests.yml`)" in (project / "README.md").read_text() or answers["ci"] == "none"
    )
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    license_text = (project / "LICENSE").read_text()
    expected = {"MIT": "MIT License", "Apache-2.0": "Apache License", "BSD-3-Clause": "BSD 3-Clause License",
                "none": "All rights reserved."}[answers["license"]]  # fmt: skip
    assert expected in license_text and "Your Name" in license_text
    assert metadata["license"] == (
        answers["license"] if answers["license"] != "none" else "LicenseRef-Proprietary"
    )
    recorded = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert {k: recorded[k] for k in answers} == answers


def test_the_workflow_tests_every_supported_python_and_may_only_read(project):
    workflow = yaml.safe_load((project / ".github" / "workflows" / "tests.yml").read_text())
    assert workflow["permissions"] == {"contents": "read"}
    test = workflow["jobs"]["test"]
    supported = tomllib.loads((project / "pyproject.toml").read_text())["project"]["requires-python"]
    assert supported == ">=3.11" and test["strategy"]["matrix"]["python-version"] == ["3.11", "3.12", "3.13"]
    setup = next(step for step in test["steps"] if step.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    uses = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert "actions/upload-artifact@v6" in uses and all(not u.endswith(("@v4", "@v5")) for u in uses)


def test_answers_are_recorded_without_machine_paths(project):
    recorded = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert recorded["project_name"] == "Image Models" and recorded["project_slug"] == "image_models"
    assert not {"_template", "_output_dir", "_repo_dir"} & set(recorded)


def test_a_project_renders_again_from_its_recorded_answers(tmp_path):
    first = render(tmp_path / "first", first_dataset="leaves", ci="none")
    again = Path(
        cookiecutter(
            str(TEMPLATE), replay=str(first / ".cookiecutter.json"), output_dir=str(tmp_path / "again")
        )
    )

    def files(root):
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert files(again) == files(first)


def test_first_dataset_generates_a_module_the_factory_finds(tmp_path):
    project = render(tmp_path, first_dataset="leaves")
    module = (project / "datasets" / "leaves.py").read_text()
    assert 'NAME = "leaves"' in module and "def get_split(" in module  # what the factory looks for
    assert "datasets/leaves.py" in (project / "README.md").read_text()
    assert not list(project.rglob("__pycache__"))
    ruff = [sys.executable, "-m", "ruff"]
    assert subprocess.run([*ruff, "check", "--no-cache", "--quiet", "datasets"], cwd=project).returncode == 0


def test_the_slug_derives_from_the_name(tmp_path):
    assert render(tmp_path, project_name="Cat-Dog Detector").name == "cat_dog_detector"


def test_checkpoint_contents_are_ignored_by_git(project, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(project, copy)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "checkpoints/lenet/ckpt-1.index", "checkpoints/README.md"],
        cwd=copy,
        capture_output=True,
        text=True,
    )
    assert ignored.stdout.split() == ["checkpoints/lenet/ckpt-1.index"]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_slug": "my project"}, "is not a valid folder name"),
        ({"project_slug": "1st_model"}, "starting with a letter"),
        ({"project_slug": "class"}, "is a reserved name"),
        ({"project_slug": "datasets"}, "is a reserved name"),
        ({"project_name": "  "}, "project_name is empty"),
        ({"first_dataset": "My Images"}, "must be a Python module name"),
        # The modules of the minimal project's datasets/; the parts' own are free where they are left out.
        *[
            ({"first_dataset": name}, "is already a module of datasets/")
            for name in sorted(
                {p.stem for p in (TEMPLATE / "{{cookiecutter.project_slug}}" / "datasets").glob("*.py")}
                - {"__init__", "_module_template"}  # (no answer can take it: it starts with "_")
                - {
                    Path(path).stem
                    for _, paths in PARTS.values()
                    for path in paths
                    if path.startswith("datasets/")
                }
            )
        ],
        ({"first_dataset": "flowers", "nets": "tf_slim_zoo"}, "'flowers' is already a module of datasets/"),
    ],
)
def test_bad_answers_are_refused_with_a_reason_and_leave_nothing(tmp_path, capfd, answers, message):
    with pytest.raises(FailedHookException) as refused:
        render(tmp_path, **answers)
    assert message in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_a_dataset_name_of_a_part_left_out_is_free(tmp_path):
    project = render(tmp_path, first_dataset="flowers")  # TF-Slim's flowers comes with nets=tf_slim_zoo
    assert 'NAME = "flowers"' in (project / "datasets" / "flowers.py").read_text()


def test_a_refusal_is_the_last_thing_the_prompt_prints(tmp_path):
    """cookiecutter prints a failed hook's traceback after whatever the hook said: the answers are refused
    once the prompts are answered, where its command line prints the message alone."""
    command = [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE), "first_dataset=mnist"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    shown = (result.stdout + result.stderr).strip().splitlines()
    assert shown == ["ERROR: first_dataset 'mnist' is already a module of datasets/; choose another name."]
    assert list(tmp_path.iterdir()) == []


def test_the_prompts_show_the_tensorflow_builds_as_pip_spells_them(tmp_path):
    """cookiecutter draws its prompts with rich, whose markup would swallow ``[and-cuda]`` unescaped."""
    command = [sys.executable, "-m", "cookiecutter", str(TEMPLATE), "-o", str(tmp_path)]
    answers = "\n" * 13  # every default
    result = subprocess.run(command, input=answers, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "2 - tensorflow[and-cuda]: NVIDIA GPUs on Linux" in result.stdout
    assert "1 - tensorflow-cpu: CPU only" in result.stdout and "\\[" not in result.stdout


def test_an_unknown_tensorflow_package_is_refused(tmp_path, capfd):
    with pytest.raises((FailedHookException, ValueError)) as refused:
        render(tmp_path, tensorflow_package="tensorflow-gpu")
    assert "tensorflow-gpu" in str(refused.value) + capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_template_repository_is_lint_clean():
    # --no-cache: ruff would otherwise leave a cache inside the template folder.
    ruff = [sys.executable, "-m", "ruff"]
    assert subprocess.run([*ruff, "check", "--no-cache", "."], cwd=TEMPLATE).returncode == 0
    assert subprocess.run([*ruff, "format", "--no-cache", "--check", "."], cwd=TEMPLATE).returncode == 0


def test_the_readmes_read_in_the_order_a_user_needs_them(project):
    """The template's README starts with making a project; the project's is a guide read top to bottom
    (first run, your own data, fine-tuning, export), its measurements in docs/benchmarks.md."""
    sections = [line for line in (TEMPLATE / "README.md").read_text().splitlines() if line.startswith("## ")]
    assert sections[0] == "## Making a project"
    guide = (project / "README.md").read_text()
    order = ["## First run", "## Your own images", "## A dataset module of your own", "## Fine-tuning",
             "## Export for serving", "## What happens when things go wrong", "## Development"]  # fmt: skip
    assert [guide.index(heading) for heading in order] == sorted(guide.index(heading) for heading in order)
    assert len(guide.splitlines()) < 650 and "| lenet | 28 | 13 |" not in guide  # tables: docs/
    assert "| lenet | 28 | 13 |" in (project / "docs" / "benchmarks.md").read_text()
