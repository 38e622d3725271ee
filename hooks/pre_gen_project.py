"""Refuses answers that would render a broken project, before anything is written."""

import json
import keyword
import re
import sys

SLUG = "{{ cookiecutter.project_slug }}"
PROJECT_NAME = "{{ cookiecutter.project_name }}"
TENSORFLOW_PACKAGE = "{{ cookiecutter.tensorflow_package }}"
CI = "{{ cookiecutter.ci }}"
TASKS = "{{ cookiecutter.tasks }}"
NETS = "{{ cookiecutter.nets }}"
RUNS_ON = "{{ cookiecutter.runs_on }}"
LICENSE = "{{ cookiecutter.license }}"
FIRST_DATASET = "{{ cookiecutter.first_dataset }}"
# Names taken in the project template (read from it at render time by local_extensions.py).
PROJECT_MODULES = set(json.loads(r"""{{ project_modules() | tojson }}"""))
DATASET_MODULES = set(json.loads(r"""{{ project_modules("datasets") | tojson }}"""))

# The choices of cookiecutter.json, read from it at render time (not kept here by hand).
CHOICES = json.loads(r"""{{ choices() | tojson }}""")
THIRD_PARTY = {"tensorflow", "keras", "numpy", "yaml", "PIL"}


def errors() -> list[str]:
    found = []
    if not PROJECT_NAME.strip():
        found.append("project_name is empty: give the project a name.")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", SLUG):
        found.append(
            f"project_slug {SLUG!r} is not a valid folder name here: use lower case letters, "
            "digits and underscores, starting with a letter (e.g. 'image_models')."
        )
    elif keyword.iskeyword(SLUG) or SLUG in THIRD_PARTY | PROJECT_MODULES:
        found.append(f"project_slug {SLUG!r} is a reserved name; choose another, e.g. '{SLUG}_project'.")
    answers = {"tensorflow_package": TENSORFLOW_PACKAGE, "ci": CI, "license": LICENSE, "tasks": TASKS,
               "nets": NETS, "runs_on": RUNS_ON}  # fmt: skip
    for name, answer in answers.items():
        if answer not in CHOICES[name]:
            found.append(f"{name} {answer!r} is not one of: {', '.join(CHOICES[name])}.")
    if FIRST_DATASET and (
        not re.fullmatch(r"[a-z][a-z0-9_]*", FIRST_DATASET) or keyword.iskeyword(FIRST_DATASET)
    ):
        found.append(
            f"first_dataset {FIRST_DATASET!r} must be a Python module name: lower case letters, digits "
            "and underscores, starting with a letter (or empty for none)."
        )
    elif FIRST_DATASET in DATASET_MODULES:
        found.append(
            f"first_dataset {FIRST_DATASET!r} is already a module of datasets/; choose another name."
        )
    return found


if __name__ == "__main__":
    problems = errors()
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)
