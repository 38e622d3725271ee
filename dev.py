"""The template's two commands; needs only Python 3.11+ to start.

    python3 dev.py tour [ANSWERS] # render the template with defaults, run the project's quick tour
    python3 dev.py test [ARGS]    # the template's tests (ARGS go to pytest, e.g. -m slow)

Both first make ``.venv`` beside this file and install requirements-dev.txt
into it (again only when that file changes), then run inside it. ANSWERS
are cookiecutter's ``key=value`` answers, e.g. the whole product:

    python3 dev.py tour tasks=classification_and_detection nets=tf_slim_zoo runs_on=local_and_cluster

``--isa=ISA`` (before the other arguments) runs either under another CPU's
oneDNN kernels: it sets ONEDNN_MAX_CPU_ISA (AVX2, AVX512_CORE,
AVX512_CORE_BF16, AVX512_CORE_AMX, ...), which caps the instructions oneDNN
uses, so one machine checks what a user's older CPU computes. E.g. the tests
that train, as CI runs them a second time:

    python3 dev.py test --isa=AVX2 -m learning --project-marks="learning and not slow"
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements-dev.txt"
BUILD = ROOT / "build"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> Path:
    """Creates .venv and installs the requirements unless they are already in."""
    if sys.version_info < (3, 11):  # noqa: UP036  (this file runs under any python3)
        sys.exit(f"dev.py needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    python = venv_python()
    stamp = VENV / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        print(f"Creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    print(f"Installing {REQUIREMENTS.name} (TensorFlow is large: the first time takes minutes)", flush=True)
    run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([python, "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS])
    stamp.write_text(wanted)
    return python


def run(command: list, **kwargs) -> None:
    result = subprocess.run([str(c) for c in command], **kwargs)
    if result.returncode != 0:
        sys.exit(result.returncode)


def _bad_answer(answers: list[str]) -> str | None:
    """What is wrong with the key=value answers, checked against cookiecutter.json; None if nothing."""
    prompts = json.loads((ROOT / "cookiecutter.json").read_text())
    for answer in answers:
        key, sep, value = answer.partition("=")
        if not sep or key.startswith("_") or key not in prompts:
            known = ", ".join(k for k in prompts if not k.startswith("_"))
            return f"{answer!r} is not an answer: give key=value with a key of {known}"
        if isinstance(prompts[key], list) and value not in prompts[key]:
            return f"{key}={value} is not a choice: give one of {', '.join(prompts[key])}"
    return None


def tour(python: Path, answers: list[str]) -> None:
    """Renders the template (defaults, or key=value answers) into build/ and runs the project's quick tour."""
    problem = _bad_answer(answers)
    if problem:
        print(f"dev.py tour: {problem}", file=sys.stderr)
        sys.exit(2)
    shutil.rmtree(BUILD, ignore_errors=True)  # a fresh render: no files left from older templates
    run([python, "-m", "cookiecutter", "--no-input", "--output-dir", BUILD, ROOT, *answers])
    project = next(p for p in BUILD.iterdir() if (p / "quick_tour.py").exists())
    print(f"Rendered {project}; running its quick tour", flush=True)
    run([python, "quick_tour.py"], cwd=project)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("tour", "test"):
        sys.exit(__doc__)
    if len(sys.argv) > 2 and sys.argv[2].startswith("--isa="):
        isa = sys.argv.pop(2).split("=", 1)[1].upper()
        os.environ["ONEDNN_MAX_CPU_ISA"] = isa  # inherited by every process below, the project's too
        print(f"ONEDNN_MAX_CPU_ISA={isa}", flush=True)
    python = ensure_venv()
    if sys.argv[1] == "tour":
        tour(python, sys.argv[2:])
    else:
        run([python, "-m", "pytest", *sys.argv[2:]], cwd=ROOT)


if __name__ == "__main__":
    main()
