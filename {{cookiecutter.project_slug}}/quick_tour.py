"""The first run: every entry point once, on data that needs no download.

    python quick_tour.py [--workdir=tour]

1. Sine regression: train.py, then eval.py (data made in code).
2. Digits: synthetic MNIST-format IDX files -> download_and_convert_data.py
   --source_dir -> train.py (LeNet) -> eval.py -> infer.py on PNG files.

Then the chapters of the project's other parts, each a ``quick_tour_*.py``
beside this file with a ``chapter(run, work, ckpt)``. Each command is
printed before it runs, so you can copy it. The last line is a JSON summary
(sine MSE, digit accuracy, infer.py hits, and what each chapter adds).
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import os
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(command: list[str]) -> str:
    """Runs one command with this Python, echoing it and its output; returns stdout."""
    command = [sys.executable, *command]
    print(f"\n$ {shlex.join(['python', *command[1:]])}", flush=True)
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        sys.exit(f"quick_tour: that command failed with exit status {result.returncode}")
    return result.stdout


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def start_fresh(work: str) -> None:
    """Empties a workdir an earlier tour made; refuses to touch any other folder."""
    marker = os.path.join(work, ".quick_tour")
    if os.path.exists(marker):
        shutil.rmtree(work)
    elif os.path.isdir(work) and os.listdir(work):
        sys.exit(f"quick_tour: {work} exists and was not made by the tour; pass another --workdir.")
    os.makedirs(work, exist_ok=True)
    open(marker, "w").close()


def sine(ckpt: str) -> dict:
    print("== 1. Sine regression ==")
    run(["train.py", "--dataset_name=sine", "--model_name=regression", f"--train_dir={ckpt}/sine",
         "--max_number_of_steps=2000", "--log_every_n_steps=500"])  # fmt: skip
    found = last_json(run(["eval.py", f"--checkpoint_path={ckpt}/sine"]))
    return {"sine_mse": round(found["mse"], 4), "sine_step": found["step"]}


def digits(work: str, ckpt: str) -> dict:
    print("\n== 2. Digits in MNIST format: convert, train LeNet, evaluate, classify ==")
    raw, data = os.path.join(work, "raw"), os.path.join(work, "mnist")
    run(["-m", "datasets.synthetic_digits", f"--output_dir={raw}", "--num_train=4000", "--num_png=10"])
    run(["download_and_convert_data.py", "--dataset_name=mnist", f"--source_dir={raw}",
         f"--dataset_dir={data}", "--overwrite"])  # fmt: skip
    run(["train.py", "--dataset_name=mnist", f"--dataset_dir={data}", "--model_name=lenet",
         f"--train_dir={ckpt}/lenet", "--max_number_of_steps=200", "--optimizer=momentum",
         "--learning_rate=0.01", "--batch_size=64", "--log_every_n_steps=50"])  # fmt: skip
    found = last_json(run(["eval.py", f"--checkpoint_path={ckpt}/lenet", "--dataset_split_name=test"]))
    pngs = sorted(os.path.join(raw, "png", f) for f in os.listdir(os.path.join(raw, "png")))
    lines = run(["infer.py", f"--checkpoint_path={ckpt}/lenet", "--top_k=3", *pngs]).splitlines()
    # The PNGs are named digit<i>_<label>.png.
    hits = sum(
        int(os.path.splitext(r["path"])[0].rsplit("_", 1)[1]) == r["predictions"][0]["class_id"]
        for r in map(json.loads, lines)
    )
    return {"digits_accuracy": round(found["accuracy"], 4), "digits_step": found["step"],
            "infer_correct": hits, "infer_total": len(pngs)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", default="tour", help="Where data and checkpoints go.")
    args = p.parse_args(argv)
    os.chdir(HERE)
    work, ckpt = args.workdir, os.path.join(args.workdir, "checkpoints")
    start_fresh(work)
    summary = {**sine(ckpt), **digits(work, ckpt)}
    for path in sorted(glob.glob(os.path.join(HERE, "quick_tour_*.py"))):
        chapter = importlib.import_module(os.path.splitext(os.path.basename(path))[0])
        summary.update(chapter.chapter(run, work, ckpt))
    print(f"\nDone. Checkpoints are in {ckpt}; `tensorboard --logdir={ckpt}` shows the curves.")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
