"""Shipping: the package metadata agrees with the requirements files and holds every module it runs."""

import fnmatch
import os
import tomllib

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _requirements(name):
    lines = open(os.path.join(PROJECT, name)).read().splitlines()
    return sorted(line.split("#")[0].strip() for line in lines if line.strip() and not line.startswith("#"))


def test_requirements_files_agree_with_pyproject():
    project = tomllib.load(open(os.path.join(PROJECT, "pyproject.toml"), "rb"))
    assert project["project"]["dynamic"] == ["dependencies"]  # read from requirements.txt
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    dev = _requirements("requirements-dev.txt")
    assert dev == sorted(["-r requirements.txt", *project["project"]["optional-dependencies"]["dev"]])
    assert any(d.startswith("tensorflow") and "==2.21.0" in d for d in _requirements("requirements.txt"))


def test_the_wheel_lists_every_module_the_entry_points_run():
    settings = tomllib.load(open(os.path.join(PROJECT, "pyproject.toml"), "rb"))["tool"]["setuptools"]
    modules = {n[:-3] for n in os.listdir(PROJECT) if n.endswith(".py")}
    # Everything at the top but the quick tour, a first run from the project folder.
    assert set(settings["py-modules"]) == {m for m in modules if not m.startswith("quick_tour")}
    packages = {n for n in os.listdir(PROJECT) if os.path.exists(os.path.join(PROJECT, n, "__init__.py"))}
    assert set(settings["packages"]["find"]["exclude"]) == {"tests*", "benchmarks*", "experiments*",
                                                           "checkpoints*"}  # fmt: skip
    # setuptools finds folders without __init__.py too (namespace packages): the exclusion keeps these out.
    excluded = settings["packages"]["find"]["exclude"]
    assert not [p for p in packages if any(fnmatch.fnmatch(p, pattern) for pattern in excluded)]
    assert all(any(fnmatch.fnmatch(d, pattern) for pattern in excluded) for d in ("tests", "benchmarks"))
