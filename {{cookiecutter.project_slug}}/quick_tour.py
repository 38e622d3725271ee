"""The first run: every entry point once, on data that needs no download.

    python quick_tour.py [--workdir=tour]

1. Sine regression: train.py, then eval.py (data made in code).
2. Digits: synthetic MNIST-format IDX files -> download_and_convert_data.py
   --source_dir -> train.py (LeNet) -> eval.py -> infer.py on PNG files.
3. Detection: shapes in Pascal VOC's layout -> download_and_convert_data.py
   -> train.py (the small SSD) -> eval.py (mAP) -> infer.py, boxes drawn.

Each command is printed before it runs, so you can copy it. The last line is
a JSON summary (sine MSE, digit accuracy, infer.py hits, detection mAP).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys


def run(command: list[str]) -> str:
    """Runs one command with this Python, echoing it and its output; returns stdout."""
    command = [sys.executable, *command]
    print(f"\n$ {shlex.join(['python', *command[1:]])}", flush=True)
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        sys.exit(f"quick_tour: that command failed with exit status {result.returncode}")
    return result.stdout


def start_fresh(work: str) -> None:
    """Empties a workdir an earlier tour made; refuses to touch any other folder."""
    marker = os.path.join(work, ".quick_tour")
    if os.path.exists(marker):
        shutil.rmtree(work)
    elif os.path.isdir(work) and os.listdir(work):
        sys.exit(f"quick_tour: {work} exists and was not made by the tour; pass another --workdir.")
    os.makedirs(work, exist_ok=True)
    open(marker, "w").close()


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def detection(work: str, ckpt: str, steps: int) -> dict:
    """Part 3: shapes in VOC's layout -> convert -> the small SSD -> mAP -> boxes drawn; eval's JSON."""
    print("\n== 3. Detection: shapes in Pascal VOC's layout, the small SSD ==")
    shapes, shapes_data = os.path.join(work, "shapes"), os.path.join(work, "shapes_data")
    run(["-m", "datasets.synthetic_shapes", f"--output_dir={shapes}", "--num_train=200", "--num_test=40"])
    run(["download_and_convert_data.py", "--dataset_name=shapes", f"--source_dir={shapes}",
         f"--dataset_dir={shapes_data}"])  # fmt: skip
    run(["train.py", "--dataset_name=shapes", f"--dataset_dir={shapes_data}", "--model_name=ssd_small",
         f"--train_dir={ckpt}/ssd", "--train_image_size=128", "--batch_size=16",
         f"--max_number_of_steps={steps}", "--learning_rate=0.003", "--log_every_n_steps=100"])  # fmt: skip
    boxes = last_json(run(["eval.py", f"--checkpoint_path={ckpt}/ssd", "--dataset_split_name=test"]))
    pictures = sorted(os.listdir(os.path.join(shapes, "JPEGImages")))[-3:]
    run(["infer.py", f"--checkpoint_path={ckpt}/ssd", f"--output_dir={work}/drawn",
         *(os.path.join(shapes, "JPEGImages", p) for p in pictures)])  # fmt: skip
    return boxes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", default="tour", help="Where data and checkpoints go.")
    p.add_argument("--sine_steps", type=int, default=2000)
    p.add_argument("--lenet_steps", type=int, default=300)
    p.add_argument("--num_train", type=int, default=6000, help="Synthetic training digits.")
    p.add_argument("--detection_steps", type=int, default=300)
    args = p.parse_args(argv)
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    work = args.workdir
    raw, data, ckpt = (os.path.join(work, d) for d in ("raw", "mnist", "checkpoints"))
    start_fresh(work)

    print("== 1. Sine regression ==")
    run(["train.py", "--dataset_name=sine", "--model_name=regression", f"--train_dir={ckpt}/sine",
         f"--max_number_of_steps={args.sine_steps}", "--log_every_n_steps=500"])  # fmt: skip
    sine = last_json(run(["eval.py", f"--checkpoint_path={ckpt}/sine"]))

    print("\n== 2. Digits in MNIST format: convert, train LeNet, evaluate, classify ==")
    run(["-m", "datasets.synthetic_digits", f"--output_dir={raw}", f"--num_train={args.num_train}",
         "--num_png=10"])  # fmt: skip
    run(["download_and_convert_data.py", "--dataset_name=mnist", f"--source_dir={raw}",
         f"--dataset_dir={data}", "--overwrite"])  # fmt: skip
    run(
        [
            "train.py",
            "--dataset_name=mnist",
            f"--dataset_dir={data}",
            "--model_name=lenet",
            f"--train_dir={ckpt}/lenet",
            f"--max_number_of_steps={args.lenet_steps}",
            "--optimizer=momentum",
            "--learning_rate=0.01",
            "--batch_size=64",
            "--log_every_n_steps=50",
        ]
    )
    digits = last_json(run(["eval.py", f"--checkpoint_path={ckpt}/lenet", "--dataset_split_name=test"]))
    pngs = sorted(os.path.join(raw, "png", f) for f in os.listdir(os.path.join(raw, "png")))
    lines = run(["infer.py", f"--checkpoint_path={ckpt}/lenet", "--top_k=3", *pngs]).splitlines()
    # The PNGs are named digit<i>_<label>.png.
    hits = sum(
        int(os.path.splitext(r["path"])[0].rsplit("_", 1)[1]) == r["predictions"][0]["class_id"]
        for r in map(json.loads, lines)
    )

    boxes = detection(work, ckpt, args.detection_steps)

    summary = {
        "sine_mse": round(sine["mse"], 4),
        "sine_step": sine["step"],
        "digits_accuracy": round(digits["accuracy"], 4),
        "digits_step": digits["step"],
        "infer_correct": hits,
        "infer_total": len(pngs),
        "detection_mAP": round(boxes["mAP"], 4),
        "detection_step": boxes["step"],
    }
    print(f"\nDone. Checkpoints are in {ckpt}; `tensorboard --logdir={ckpt}` shows the curves; "
          f"{work}/drawn holds the detections drawn.")  # fmt: skip
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
