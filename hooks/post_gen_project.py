"""Removes the parts the answers did not choose, and records the answers.

A part is its files: every registry of the project finds its records in the
modules present (``registry.py``), so deleting a part's modules removes its
nets, datasets, tasks and flags with nothing else to edit. The README,
pyproject.toml and requirements.txt choose their part sections by Jinja.
"""

import json
import os
import shutil
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")
# Where this machine (or cruft's temporary copy) found and put things: not part of the answers.
MACHINE_PATHS = ("_output_dir", "_repo_dir", "_checkout", "_template")

# Each part: the answer that keeps it, and its files and folders.
PARTS = {
    "detection": (
        ("tasks", "classification_and_detection"),
        [
            "tasks/detection.py",
            "tasks/box_ops.py",
            "metrics/detection_ap.py",
            "metrics/pr_curves.py",
            "nets/ssd_common.py",
            "nets/ssd_small.py",
            "nets/ssd_mobilenet_v2.py",
            "nets/ssd_vgg_300.py",
            "preprocessing/ssd_preprocessing.py",
            "preprocessing/ssd_vgg_preprocessing.py",
            "datasets/detection_codec.py",
            "datasets/pascal_voc.py",
            "datasets/pascalvoc_2007.py",
            "datasets/pascalvoc_2012.py",
            "datasets/voc_releases.py",
            "datasets/synthetic_shapes.py",
            "quick_tour_detection.py",
            "experiments/detection_shapes.yaml",
            "benchmarks/detection_bccd.py",
            "tests/test_detection.py",
        ],
    ),
    "tf_slim_zoo": (
        ("nets", "tf_slim_zoo"),
        [
            "nets/alexnet.py",
            "nets/vgg.py",
            "nets/resnet_v2.py",
            "nets/inception_v1.py",
            "nets/mobilenet_v1.py",
            "datasets/cifar10.py",
            "datasets/flowers.py",
            "experiments/flowers_finetune.yaml",
            "experiments/vgg_16_from_tf_slim.yaml",
            "experiments/inception_v1_flowers.yaml",
            "tests/test_tf_slim_datasets.py",
            "tests/test_tf_slim_zoo_checkpoints.py",
        ],
    ),
    "cluster": (
        ("runs_on", "local_and_cluster"),
        ["cluster", "deployment/launch_local.py", "Dockerfile", ".dockerignore", "tests/test_cluster.py"],
    ),
}


def remove(path: str) -> None:
    if not os.path.lexists(path):
        sys.exit(f"post_gen_project: {path} is listed in a part but not in the template; fix PARTS")
    if os.path.isdir(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


def main() -> None:
    for (question, keeps), paths in PARTS.values():
        if ANSWERS[question] != keeps:
            for path in paths:
                remove(path)
    if ANSWERS["ci"] != "github-actions":
        shutil.rmtree(".github")
    if ANSWERS["first_dataset"]:
        # The project's own scaffold writes the module (it needs no TensorFlow).
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
