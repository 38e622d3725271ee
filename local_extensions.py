"""A Jinja extension the template's hooks use (cookiecutter loads it through ``_extensions``).

``answer_problems(answers)`` says what is wrong with the answers, in words; it runs once the prompts
are answered (``cookiecutter.json``'s ``__answers_checked``, so that a refusal is the last thing the
user reads: cookiecutter prints a failed hook's traceback after it) and again in the pre-generation hook
(for what skips the prompts, such as a replay). The names it refuses as taken are read from the project
template at render time, less the files of the parts the answers leave out, not kept by hand.
``choices()`` gives each multiple-choice question of ``cookiecutter.json`` and its choices.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
from pathlib import Path

from cookiecutter.exceptions import FailedHookException
from jinja2.ext import Extension

TEMPLATE = Path(__file__).resolve().parent
PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.project_slug}}"
THIRD_PARTY = {"tensorflow", "keras", "numpy", "yaml", "PIL"}
MODULE_NAME = re.compile(r"[a-z][a-z0-9_]*")


def project_modules(folder: str = "") -> list[str]:
    """Sorted names of the ``.py`` modules and the packages in ``folder`` of the project template."""
    path = PROJECT_TEMPLATE / folder
    names = {p.stem for p in path.glob("*.py")}
    names |= {p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    return sorted(names)


def left_out(answers: dict) -> set[str]:
    """The project files of the parts these answers do not choose (the post-generation hook's PARTS)."""
    hook = (TEMPLATE / "hooks" / "post_gen_project.py").read_text()
    parts = ast.literal_eval(hook[hook.index("PARTS = ") + len("PARTS = ") : hook.index("\n\n\ndef remove")])
    return {
        path
        for (question, keeps), paths in parts.values()
        if answers.get(question) != keeps
        for path in paths
    }


def choices() -> dict[str, list[str]]:
    """Each multiple-choice question of cookiecutter.json and its choices."""
    questions = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    return {k: v for k, v in questions.items() if isinstance(v, list) and not k.startswith("_")}


def answer_problems(answers: dict) -> list[str]:
    """What is wrong with the answers, one sentence each (empty: nothing)."""
    found = []
    slug, dataset = answers.get("project_slug", ""), answers.get("first_dataset", "")
    if not answers.get("project_name", "").strip():
        found.append("project_name is empty: give the project a name.")
    if not MODULE_NAME.fullmatch(slug):
        found.append(
            f"project_slug {slug!r} is not a valid folder name here: use lower case letters, "
            "digits and underscores, starting with a letter (e.g. 'image_models')."
        )
    elif keyword.iskeyword(slug) or slug in THIRD_PARTY | set(project_modules()):
        found.append(f"project_slug {slug!r} is a reserved name; choose another, e.g. '{slug}_project'.")
    for name, allowed in choices().items():
        if name in answers and answers[name] not in allowed:
            found.append(f"{name} {answers[name]!r} is not one of: {', '.join(allowed)}.")
    taken = set(project_modules("datasets")) - {
        Path(p).stem for p in left_out(answers) if p.startswith("datasets/")
    }
    if dataset and (not MODULE_NAME.fullmatch(dataset) or keyword.iskeyword(dataset)):
        found.append(
            f"first_dataset {dataset!r} must be a Python module name: lower case letters, digits "
            "and underscores, starting with a letter (or empty for none)."
        )
    elif dataset in taken:
        found.append(f"first_dataset {dataset!r} is already a module of datasets/; choose another name.")
    return found


def refuse_bad_answers(answers: dict) -> str:
    """Raises cookiecutter's refusal, whose message its command line prints alone, when answers are bad."""
    problems = answer_problems(answers)
    if problems:
        raise FailedHookException("\n".join(f"ERROR: {problem}" for problem in problems))
    return ""


class ProjectModules(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.globals["answer_problems"] = answer_problems
        environment.globals["refuse_bad_answers"] = refuse_bad_answers
        environment.globals["choices"] = choices
