"""Shipping: the package metadata agrees with the requirements files and holds every module it runs."""

import os
import tomllib

import entry_points

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


def test_the_wheel_installs_one_package_named_after_the_project_holding_every_package():
    project = tomllib.load(open(os.path.join(PROJECT, "pyproject.toml"), "rb"))
    settings = project["tool"]["setuptools"]
    ((name, folder),) = settings["package-dir"].items()  # the project's folder is the package
    assert folder == "." and name == os.path.basename(PROJECT)
    packages = {n for n in os.listdir(PROJECT) if os.path.exists(os.path.join(PROJECT, n, "__init__.py"))}
    assert set(settings["packages"]) == {name, *(f"{name}.{p}" for p in packages)}  # tests/ has no __init__
    for script in project["project"]["scripts"].values():
        module, function = script.split(":")
        assert module == f"{name}.entry_points" and callable(getattr(entry_points, function))
