"""Removes what the answers did not select and records the answers."""

import json
import shutil
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")


def main() -> None:
    if ANSWERS["ci"] != "github-actions":
        shutil.rmtree(".github")
    if ANSWERS["first_dataset"]:
        # The project's own scaffold writes and registers the module (it needs no TensorFlow).
        sys.dont_write_bytecode = True  # leave no __pycache__ in the new project
        sys.path.insert(0, ".")
        from datasets import new_dataset

        new_dataset.create(ANSWERS["first_dataset"])
    # The answers, so the project can later be updated from the template
    # (cruft and cookiecutter replay read this); paths of this machine are left out.
    recorded = {k: v for k, v in ANSWERS.items() if not k.startswith("_") or k == "_template"}
    Path(".cookiecutter.json").write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
