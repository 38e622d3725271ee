"""Removes what the answers did not select and records the answers."""

import json
import shutil
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")
# Where this machine (or cruft's temporary copy) found and put things: not part of the answers.
MACHINE_PATHS = ("_output_dir", "_repo_dir", "_checkout", "_template")


def main() -> None:
    if ANSWERS["ci"] != "github-actions":
        shutil.rmtree(".github")
    if ANSWERS["first_dataset"]:
        # The project's own scaffold writes and registers the module (it needs no TensorFlow).
        sys.dont_write_bytecode = True  # leave no __pycache__ in the new project
        sys.path.insert(0, ".")
        from datasets import new_dataset

        new_dataset.create(ANSWERS["first_dataset"])
    # The answers in the form `cookiecutter --replay-file .cookiecutter.json` reads, so the
    # project can be rendered again (or updated) from the same answers.
    recorded = {k: v for k, v in ANSWERS.items() if k not in MACHINE_PATHS}
    Path(".cookiecutter.json").write_text(
        json.dumps({"cookiecutter": recorded}, indent=2, sort_keys=True) + "\n"
    )


if __name__ == "__main__":
    main()
