"""The first run: every entry point once, on data that needs no download.

    python quick_tour.py [--workdir=tour]

1. Sine regression: train.py, then eval.py (data made in code).
2. Digits: synthetic MNIST-format IDX files -> download_and_convert_data.py
   --source_dir -> train.py (LeNet) -> eval.py -> infer.py on PNG files.
3. Detection: shapes in Pascal VOC's layout -> download_and_convert_data.py
   -> train.py (the small SSD) -> eval.py (mAP) -> infer.py, boxes drawn.

Each command is printed before it runs, so you can copy it. The last line is
a JSON summary (sine MSE, digit accuracy, infer.py hits, detection mAP, and how many
shapes of the drawn images got a box of their class).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from xml.etree import ElementTree


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
    # Shapes of a fifth of the image or more, 600 of them, and anchors that take a box from IoU 0.4 (SSD's
    # 0.5 left each shape one or two of ssd_small's coarse anchors at 128 px): after 500 steps 88% of the
    # test shapes get a box of their class scoring 0.5 or more (infer.py's default --min_score) on AVX2's
    # kernels and AVX-512's alike; with 200 images and IoU 0.5, 300 steps boxed 13%.
    run(["-m", "datasets.synthetic_shapes", f"--output_dir={shapes}", "--num_train=600", "--num_test=40",
         "--min_size=0.2"])  # fmt: skip
    run(["download_and_convert_data.py", "--dataset_name=shapes", f"--source_dir={shapes}",
         f"--dataset_dir={shapes_data}"])  # fmt: skip
    run(["train.py", "--dataset_name=shapes", f"--dataset_dir={shapes_data}", "--model_name=ssd_small",
         f"--train_dir={ckpt}/ssd", "--train_image_size=128", "--batch_size=16",
         f"--max_number_of_steps={steps}", "--learning_rate=0.003", "--match_threshold=0.4",
         "--log_every_n_steps=100"])  # fmt: skip
    boxes = last_json(run(["eval.py", f"--checkpoint_path={ckpt}/ssd", "--dataset_split_name=test"]))
    names = sorted(os.listdir(os.path.join(shapes, "JPEGImages")))[-4:]
    answers = run(["infer.py", f"--checkpoint_path={ckpt}/ssd", f"--output_dir={work}/drawn",
                   *(os.path.join(shapes, "JPEGImages", p) for p in names)])  # fmt: skip
    found = total = 0
    for name, line in zip(names, answers.splitlines(), strict=True):
        truth = os.path.join(shapes, "Annotations", os.path.splitext(name)[0] + ".xml")
        hits, objects = found_objects(truth, json.loads(line)["detections"])
        found, total = found + hits, total + objects
    print(f"\nThe drawn images hold {total} shapes; {found} have a box of the right class (IoU >= 0.5).")
    return {**boxes, "found": found, "objects": total}


def found_objects(annotation: str, detections: list[dict]) -> tuple[int, int]:
    """How many of an image's annotated objects a detection of their class overlaps at IoU >= 0.5."""
    corners = ("xmin", "ymin", "xmax", "ymax")
    truth = [
        (o.findtext("name"), [float(o.find("bndbox").findtext(k)) for k in corners])
        for o in ElementTree.parse(annotation).getroot().iter("object")
    ]
    found = sum(
        any(d["label"] == label and _iou(box, [d["box"][k] for k in corners]) >= 0.5 for d in detections)
        for label, box in truth
    )
    return found, len(truth)


def _iou(a: list[float], b: list[float]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - width * height
    return width * height / union if union > 0 else 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", default="tour", help="Where data and checkpoints go.")
    p.add_argument("--sine_steps", type=int, default=2000)
    p.add_argument("--lenet_steps", type=int, default=200)
    p.add_argument("--num_train", type=int, default=4000, help="Synthetic training digits.")
    p.add_argument("--detection_steps", type=int, default=500)
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
        "detection_found": boxes["found"],
        "detection_objects": boxes["objects"],
        "detection_step": boxes["step"],
    }
    print(f"\nDone. Checkpoints are in {ckpt}; `tensorboard --logdir={ckpt}` shows the curves; "
          f"{work}/drawn holds the detections drawn.")  # fmt: skip
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
