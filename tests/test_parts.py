"""The parts a user chooses (tasks, nets, where it runs): every combination renders, imports, lints, has no
import cycle and no name of a part left out; the default project stays within its size budget."""

from __future__ import annotations

import ast
import io
import itertools
import json
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from conftest import TEMPLATE, render, template_syntax_left

QUESTIONS = json.loads((TEMPLATE / "cookiecutter.json").read_text())
PART_QUESTIONS = ("tasks", "nets", "runs_on")
COMBINATIONS = [
    dict(zip(PART_QUESTIONS, v, strict=True)) for v in itertools.product(*map(QUESTIONS.get, PART_QUESTIONS))
]
# The parts, as the post-generation hook removes them (its PARTS is a literal: read it from there).
HOOK = (TEMPLATE / "hooks" / "post_gen_project.py").read_text()
PARTS = ast.literal_eval(HOOK[HOOK.index("PARTS = ") + len("PARTS = ") : HOOK.index("\n\n\ndef remove")])
# Names that belong to a part: none may remain in a project without it (code, tests, README, config).
DEAD_NAMES = {
    "detection": re.compile(r"(?i:detect|\bssd|pascal|\bvoc\b|pycocotools|box_ops|synthetic_shapes)|\bmAP\b"),
    "tf_slim_zoo": re.compile(
        r"(?i:alexnet|vgg_a\b|vgg[_ ]1[69]|vgg-a|resnet[_ ]v2|mobilenet[_ ]v1|cifar-?10|flowers)"
    ),
    "cluster": re.compile(
        r"(?i:kubernetes|k8s|kubeflow|vertex|docker|cluster\.launch|cluster/|launch_local)"
    ),
}
# What a user must be able to run (and keep): the code outside tests/ and benchmarks/, in lines of code.
MINIMAL_BUDGET = 5_000
# Modules that may take argparse's Namespace: the command-line layer.
COMMAND_LINE = {"train", "train_flags", "eval", "infer", "export", "download_and_convert_data",
                "view_dataset", "quick_tour", "cli.flags"}  # fmt: skip


def _id(answers: dict) -> str:
    return "-".join(answers.values())


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> dict[str, Path]:
    """Every combination of the parts, rendered once for this module's tests."""
    return {_id(a): render(tmp_path_factory.mktemp(_id(a)), **a) for a in COMBINATIONS}


def _modules(project: Path) -> dict[str, Path]:
    """Importable module name -> file, for the project's code and tests."""
    found = {}
    for path in sorted(project.rglob("*.py")):
        parts = path.relative_to(project).with_suffix("").parts
        if parts[0] in ("tests", "benchmarks"):
            continue
        found[".".join(p for p in parts if p != "__init__") or parts[0]] = path
    return found


def _imports(project: Path, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules that ``path`` imports (anywhere in it, type-checking imports included)."""
    tree, found = ast.parse(path.read_text()), set()
    package = ".".join(path.relative_to(project).parts[:-1])
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + [base]
                ).strip(".")
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
            ]
        found |= {n for n in names if n in modules}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``graph`` (as the nodes around it), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def code_lines(path: Path) -> int:
    """Lines of code, as cloc counts Python: not blank, not a comment, not a docstring."""
    source = path.read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant):
                if isinstance(first.value.value, str):
                    docstrings |= set(range(first.lineno, first.end_lineno + 1))
    lines = set()
    skip = (
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    )
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skip:
            lines |= set(range(token.start[0], token.end[0] + 1)) - docstrings
    return len(lines)


def project_code_lines(project: Path) -> int:
    return sum(code_lines(p) for name, p in _modules(project).items())


@pytest.mark.parametrize("answers", COMBINATIONS, ids=_id)
def test_every_combination_of_parts_holds_its_parts_and_no_name_of_the_others(renders, answers):
    project = renders[_id(answers)]
    for part, ((question, keeps), paths) in PARTS.items():
        kept = answers[question] == keeps
        for path in paths:
            assert (project / path).exists() == kept, (part, path)
        if kept:
            continue
        for path in project.rglob("*"):
            if path.is_file() and path.name != ".cookiecutter.json":
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    found = DEAD_NAMES[part].search(line)
                    assert not found, (
                        f"{part} left out, but {path.relative_to(project)}:{number} says {line!r}"
                    )
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not template_syntax_left(text), f"template syntax left in {path}"
    gpu_dockerfile = render(project.parent / "gpu", **answers, tensorflow_package="tensorflow[and-cuda]")
    if answers["runs_on"] == "local_and_cluster":
        assert "FROM tensorflow/tensorflow:2.21.0-gpu" in (gpu_dockerfile / "Dockerfile").read_text()


@pytest.mark.parametrize("answers", COMBINATIONS, ids=_id)
def test_every_combination_has_no_import_cycle_long_function_or_flags_in_the_library(renders, answers):
    project = renders[_id(answers)]
    modules = _modules(project)
    graph = {name: _imports(project, path, modules) - {name} for name, path in modules.items()}
    assert _cycle(graph) is None, f"modules import each other in a circle: {' -> '.join(_cycle(graph))}"
    packages = {}
    for name, targets in graph.items():
        for target in targets:
            if name.split(".")[0] != target.split(".")[0]:
                packages.setdefault(name.split(".")[0], set()).add(target.split(".")[0])
    assert _cycle(packages) is None, (
        f"packages import each other in a circle: {' -> '.join(_cycle(packages))}"
    )
    # The entry points stay thin: the training loop lives in training/.
    assert len((project / "train.py").read_text().splitlines()) < 120
    for name, path in modules.items():
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 80, f"{name}.{node.name} is {length} lines long"
        if name not in COMMAND_LINE:
            assert "argparse.Namespace" not in text, f"{name} takes the command line's flags"


def test_every_combination_imports_every_module_and_lints(renders):
    """One process imports every module of each render (TensorFlow once) and builds its registries."""
    script = """
import importlib, json, os, sys
found = {}
for project in sys.argv[1:]:
    sys.path.insert(0, project)
    import cli  # noqa: F401  (TensorFlow, quietly, once used)
    for root, _, files in os.walk(project):
        rel = os.path.relpath(root, project)
        if rel.split(os.sep)[0] in ("tests", "benchmarks"):
            continue
        for f in sorted(files):
            if f.endswith(".py"):
                parts = [p for p in (rel.split(os.sep) if rel != "." else []) + [f[:-3]] if p != "__init__"]
                importlib.import_module(".".join(parts))
    from nets import nets_factory
    from tasks import tasks_factory
    from datasets import dataset_factory
    from preprocessing import preprocessing_factory
    import nets, registry
    found[project] = {"nets": list(nets_factory.networks_map()), "tasks": sorted(tasks_factory.tasks_map()),
                      "declared_nets": sorted(registry.declared_keys(nets, "NETS") or []),
                      "datasets": sorted(dataset_factory.datasets_map()),
                      "preprocessing": list(preprocessing_factory.preprocessing_fn_map())}
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(project):
            del sys.modules[name]
    sys.path.remove(project)
print(json.dumps(found))
"""
    projects = [str(p) for p in renders.values()]
    result = subprocess.run(
        [sys.executable, "-c", script, *projects], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    for key, project in renders.items():
        registries = found[str(project)]
        detection, zoo = "classification_and_detection" in key, "tf_slim_zoo" in key
        assert ("detection" in registries["tasks"]) == detection and (
            "ssd_small" in registries["nets"]
        ) == detection
        assert ("vgg_16" in registries["nets"]) == zoo and ("cifar10" in registries["datasets"]) == zoo
        # train.py --help lists the nets read from their source, without importing them: the same names.
        assert registries["declared_nets"] == sorted(registries["nets"])
        assert {"lenet", "cifarnet", "mobilenet_v2", "resnet_v1_50", "inception_v3", "regression"} <= set(
            registries["nets"]
        )
        ruff = [sys.executable, "-m", "ruff"]
        assert subprocess.run([*ruff, "check", "--no-cache", "--quiet", "."], cwd=project).returncode == 0, (
            key
        )
        assert (
            subprocess.run([*ruff, "format", "--no-cache", "--check", "--quiet", "."], cwd=project).returncode
            == 0
        )


ENTRY_POINTS = ("train", "eval", "infer", "export", "download_and_convert_data", "view_dataset")


@pytest.mark.parametrize("answers", [COMBINATIONS[0], COMBINATIONS[-1]], ids=_id)
def test_help_and_a_refused_flag_answer_before_tensorflow_loads(renders, answers):
    """Importing TensorFlow takes seconds: each entry point's --help and refusal of a bad flag come first."""
    script = f"""
import contextlib, importlib, io, sys
for name in {ENTRY_POINTS!r}:
    for args in (["--help"], ["--batch_size=0"]):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                importlib.import_module(name).main(args)
            except SystemExit as e:
                assert e.code == (0 if args == ["--help"] else 2), (name, args, e.code)
print(sorted(m for m in sys.modules if m.startswith("tensorflow") or m.startswith("keras")))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=renders[_id(answers)], capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "['tensorflow']"  # the stand-in alone: nothing of TensorFlow loaded


def test_the_minimal_project_stays_within_its_budget(project):
    lines = project_code_lines(project)
    assert lines <= MINIMAL_BUDGET, (
        f"the default project has {lines} lines of code; the budget is {MINIMAL_BUDGET}"
    )


def test_the_readme_counts_the_lines_each_part_adds(renders, project):
    """The template README's table of parts states their size; it must stay within 5% of the truth."""
    readme = (TEMPLATE / "README.md").read_text()
    full = renders[
        _id({"tasks": "classification_and_detection", "nets": "tf_slim_zoo", "runs_on": "local_and_cluster"})
    ]
    for label, measured in (("minimal", project_code_lines(project)), ("full", project_code_lines(full))):
        stated = re.search(rf"<!-- {label} lines: (\d[\d,]*) -->", readme)
        assert stated, f"the README states no {label} line count"
        assert abs(int(stated.group(1).replace(",", "")) - measured) <= 0.05 * measured, (label, measured)


def test_parts_list_only_files_of_the_template():
    project_template = TEMPLATE / "{{cookiecutter.project_slug}}"
    for part, (_, paths) in PARTS.items():
        for path in paths:
            assert (project_template / path).exists(), f"{part}: {path} is not in the template"


def test_part_modules_are_not_imported_by_the_core():
    """A removed part leaves nothing that imports it: the core's modules import no part's module."""
    project_template = TEMPLATE / "{{cookiecutter.project_slug}}"
    part_modules = {str(Path(p).with_suffix("")).replace(os.sep, ".") for _, ps in PARTS.values() for p in ps}
    for path in project_template.rglob("*.py"):
        relative = str(path.relative_to(project_template).with_suffix("")).replace(os.sep, ".")
        if any(relative == m or relative.startswith(m + ".") for m in part_modules):
            continue
        text = path.read_text()
        for module in part_modules:
            package, _, name = module.rpartition(".")
            patterns = [rf"^\s*import {re.escape(module)}\b", rf"^\s*from {re.escape(module)} import"]
            if package:
                patterns.append(rf"^\s*from {re.escape(package)} import .*\b{re.escape(name)}\b")
            for pattern in patterns:
                assert not re.search(pattern, text, re.M), f"{relative} imports {module}, a part's module"
