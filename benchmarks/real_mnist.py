"""Figures on real MNIST digits, through the rendered project's own commands.

    .venv/bin/python benchmarks/real_mnist.py [--mnist_dir=../shared/data/mnist]

Renders the template with its defaults, splits the real MNIST test set (10,000
images) into its first 8,000 as train and last 2,000 as test, writes them as
IDX files, and runs download_and_convert_data.py --source_dir, train.py (LeNet,
1,000 steps, momentum 0.01, batch 64), eval.py, infer.py on 50 real test digits
saved as PNG, then sine regression (2,000 steps) and eval.py. Then the same
digits as a tree of PNG files (train/<digit>/*.png, test/<digit>/*.png) through
the image-folder converter and the same training. Prints accuracies of both
paths, MSE, infer agreement, LeNet training throughput and conversion speed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parents[1]


def read_idx(path: Path) -> np.ndarray:
    data = gzip.decompress(path.read_bytes())
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes()))


def write_png(path: Path, image: np.ndarray) -> None:
    rows = b"".join(b"\x00" + row.tobytes() for row in image)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", image.shape[1], image.shape[0], 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def run(project: Path, *args: str) -> str:
    print("$ python", " ".join(args), flush=True)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, *args], cwd=project, capture_output=True, text=True)
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    print(f"  ({time.perf_counter() - start:.1f} s)", flush=True)
    return result.stdout


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mnist_dir", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    args = p.parse_args()
    mnist = Path(args.mnist_dir)
    images = read_idx(mnist / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(mnist / "t10k-labels-idx1-ubyte.gz")

    work = Path(tempfile.mkdtemp(prefix="real_mnist_"))
    project = Path(cookiecutter(str(ROOT), no_input=True, output_dir=str(work)))
    raw = work / "raw"
    raw.mkdir()
    for prefix, part in (("train", slice(0, 8000)), ("t10k", slice(8000, 10000))):
        write_idx(raw / f"{prefix}-images-idx3-ubyte.gz", images[part])
        write_idx(raw / f"{prefix}-labels-idx1-ubyte.gz", labels[part])

    data, ckpt = work / "mnist", work / "checkpoints"
    run(
        project,
        "download_and_convert_data.py",
        "--dataset_name=mnist",
        f"--source_dir={raw}",
        f"--dataset_dir={data}",
    )
    log = run(
        project,
        "train.py",
        "--dataset_name=mnist",
        f"--dataset_dir={data}",
        "--model_name=lenet",
        f"--train_dir={ckpt}/lenet",
        "--max_number_of_steps=1000",
        "--optimizer=momentum",
        "--learning_rate=0.01",
        "--batch_size=64",
        "--log_every_n_steps=100",
    )
    rates = [float(r) for r in re.findall(r"\(([\d.]+) examples/s\)", log)][1:]  # the first includes tracing
    lenet = json.loads(
        run(
            project,
            "eval.py",
            "--dataset_name=mnist",
            f"--dataset_dir={data}",
            "--dataset_split_name=test",
            "--model_name=lenet",
            f"--checkpoint_path={ckpt}/lenet",
        ).splitlines()[-1]
    )
    pngs = []
    for i in range(50):
        path = work / f"real_{i}_{labels[8000 + i]}.png"
        write_png(path, images[8000 + i])
        pngs.append(str(path))
    inferred = [
        json.loads(line)
        for line in run(project, "infer.py", f"--checkpoint_path={ckpt}/lenet", *pngs).splitlines()
    ]
    agree = sum(r["predictions"][0]["class_id"] == int(labels[8000 + i]) for i, r in enumerate(inferred))

    run(
        project,
        "train.py",
        "--dataset_name=sine",
        "--model_name=regression",
        f"--train_dir={ckpt}/sine",
        "--max_number_of_steps=2000",
        "--log_every_n_steps=500",
    )
    # The same digits as PNG files in class folders, through the image-folder path.
    tree = work / "tree"
    for split, part in (("train", range(0, 8000)), ("test", range(8000, 10000))):
        for i in part:
            folder = tree / split / str(labels[i])
            folder.mkdir(parents=True, exist_ok=True)
            write_png(folder / f"{i}.png", images[i])
    start = time.perf_counter()
    run(
        project,
        "download_and_convert_data.py",
        "--dataset_name=digits",
        f"--source_dir={tree}",
        f"--dataset_dir={work / 'digits'}",
    )
    conversion_rate = 10_000 / (time.perf_counter() - start)
    run(
        project,
        "train.py",
        "--dataset_name=digits",
        f"--dataset_dir={work / 'digits'}",
        "--model_name=lenet",
        f"--train_dir={ckpt}/digits",
        "--max_number_of_steps=1000",
        "--optimizer=momentum",
        "--learning_rate=0.01",
        "--batch_size=64",
        "--log_every_n_steps=100",
    )
    folder_eval = json.loads(
        run(project, "eval.py", f"--checkpoint_path={ckpt}/digits", "--dataset_split_name=test").splitlines()[
            -1
        ]
    )

    sine = json.loads(
        run(
            project,
            "eval.py",
            "--dataset_name=sine",
            "--model_name=regression",
            f"--checkpoint_path={ckpt}/sine",
        ).splitlines()[-1]
    )
    print(
        json.dumps(
            {
                "mnist_accuracy": round(lenet["accuracy"], 4),
                "mnist_recall_at_5": round(lenet["recall_at_5"], 4),
                "mnist_step": lenet["step"],
                "image_folder_accuracy": round(folder_eval["accuracy"], 4),
                "image_folder_num_test": folder_eval["num_examples"],
                "image_folder_conversion_images_per_sec_incl_startup": round(conversion_rate),
                "infer_agrees": f"{agree}/{len(pngs)}",
                "lenet_batch64_examples_per_sec_median": round(statistics.median(rates)),
                "sine_mse": round(sine["mse"], 4),
                "sine_step": sine["step"],
                "workdir": str(work),
            }
        )
    )


if __name__ == "__main__":
    main()
