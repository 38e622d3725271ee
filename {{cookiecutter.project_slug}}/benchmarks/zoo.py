"""Every net of the zoo, trained with its own recipe (no optimizer flags), side by side.

    python benchmarks/zoo.py --mnist_dir=../shared/data/mnist [--steps=500] [--nets=lenet,cifarnet]

Converts the real MNIST test set of --mnist_dir (its first 8,000 digits as
train, the last 2,000 as test), then for every classification net: train.py
for --steps steps at batch 32 at 32 pixels (or the net's ``min_image_size``:
inception_v3 75, the MobileNets 48; lenet at its own 28) with no optimizer flags, eval.py on the test
split (and train.py's speed, the median of its log lines after the first),
and the accuracy of the checkpoint on 256 training images in training
mode (batch statistics) and in inference mode (moving statistics), whose gap
shows batch norm's moving statistics lagging. Prints one JSON line per net,
then a Markdown table. Under another CPU's oneDNN kernels:
``ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/zoo.py ...``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PROJECT)

import cli  # noqa: E402, F401  (TensorFlow imports quietly when first used)

import numpy as np  # noqa: E402

from datasets import input_pipeline, mnist  # noqa: E402
from deployment import assembly  # noqa: E402
from nets import nets_factory  # noqa: E402
from tasks import names  # noqa: E402


def write_split_files(mnist_dir: str, raw: str) -> None:
    """The real test digits as MNIST-format train (first 8,000) and test (last 2,000) files."""

    def read(name):
        data = gzip.decompress(open(os.path.join(mnist_dir, name), "rb").read())
        shape = struct.unpack(f">{data[3]}I", data[4 : 4 + 4 * data[3]])
        return np.frombuffer(data, np.uint8, offset=4 + 4 * data[3]).reshape(shape)

    def write(name, array):
        header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
        open(os.path.join(raw, name), "wb").write(gzip.compress(header + array.tobytes()))

    images, labels = read("t10k-images-idx3-ubyte.gz"), read("t10k-labels-idx1-ubyte.gz")
    for prefix, part in (("train", slice(0, 8000)), ("t10k", slice(8000, 10000))):
        write(f"{prefix}-images-idx3-ubyte.gz", images[part])
        write(f"{prefix}-labels-idx1-ubyte.gz", labels[part])


def run(*args: str) -> str:
    result = subprocess.run([sys.executable, *args], cwd=PROJECT, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(result.stdout[-2000:] + result.stderr[-3000:])
    return result.stdout


def mode_gap(train_dir: str, data: str) -> tuple[float, float]:
    """Accuracy on 256 training images in training mode and in inference mode."""
    net, config, _ = assembly.load_net(train_dir)
    preprocess = assembly.preprocessing(config, is_training=False)
    split = mnist.get_split("train", data)
    images, labels = next(iter(input_pipeline.eval_dataset(split, lambda x, y: (preprocess(x), y), 256)))
    accuracy = {}
    for training in (False, True):  # inference first: a training-mode call moves the moving statistics
        logits, _ = net(images, training=training)
        accuracy[training] = float(np.mean(np.argmax(logits, -1) == labels.numpy()))
    return accuracy[True], accuracy[False]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mnist_dir", default=os.path.join(PROJECT, "..", "shared", "data", "mnist"))
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--nets", default=None, help="Comma-separated (default: every classification net).")
    p.add_argument("--workdir", default=None)
    p.add_argument("extra", nargs="*", help="More train.py flags, after --, for trying a recipe.")
    args = p.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="zoo_")
    raw, data = os.path.join(work, "raw"), os.path.join(work, "mnist")
    if not os.path.exists(os.path.join(data, "dataset_info.json")):
        if not os.path.exists(os.path.join(args.mnist_dir, "t10k-images-idx3-ubyte.gz")):
            sys.exit(
                f"--mnist_dir={args.mnist_dir} holds no t10k-images-idx3-ubyte.gz: pass the MNIST folder"
            )
        os.makedirs(raw, exist_ok=True)
        write_split_files(args.mnist_dir, raw)
        run(
            "download_and_convert_data.py",
            "--dataset_name=mnist",
            f"--source_dir={raw}",
            f"--dataset_dir={data}",
        )
    names = (
        args.nets.split(",")
        if args.nets
        else [n for n, s in nets_factory.networks_map().items() if s.task == names.CLASSIFICATION]
    )
    rows = []
    for name in names:
        spec = nets_factory.get_net_spec(name)
        size = spec.min_image_size or min(spec.default_image_size, 32)
        train_dir = os.path.join(work, "runs", name)
        shutil.rmtree(train_dir, ignore_errors=True)  # a fresh run, never a resumed one
        start = time.perf_counter()
        log = run(
            "train.py", "--dataset_name=mnist", f"--dataset_dir={data}", f"--model_name={name}",
            f"--train_dir={train_dir}", f"--train_image_size={size}", f"--batch_size={args.batch_size}",
            f"--max_number_of_steps={args.steps}", f"--log_every_n_steps={max(1, args.steps // 10)}",
            *args.extra,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        losses = [float(x) for x in re.findall(r"loss = ([\d.]+|nan|inf)", log)]
        # The speed of the log lines after the first (which holds tracing and the first input block).
        rates = sorted(float(x) for x in re.findall(r"\((\d+) examples/s\)", log)[1:]) or [0.0]
        metrics = json.loads(
            run("eval.py", f"--checkpoint_path={train_dir}", "--dataset_split_name=test").splitlines()[-1]
        )
        training_mode, inference_mode = mode_gap(train_dir, data)
        row = {
            "net": name, "size": size, "steps": args.steps, "seconds": round(seconds),
            "train_images_per_second": round(rates[len(rates) // 2]),
            "losses": [round(x, 3) for x in losses], "eval_accuracy": round(metrics["accuracy"], 4),
            "train_batch_accuracy_training_mode": round(training_mode, 4),
            "train_batch_accuracy_inference_mode": round(inference_mode, 4),
            "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "default"),
        }  # fmt: skip
        rows.append(row)
        print(json.dumps(row), flush=True)
    at = " / ".join(str(args.steps * k // 10) for k in (2, 6, 10))
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "(not set: the CPU's best)")
    print(f"\nONEDNN_MAX_CPU_ISA={isa}")
    print(
        f"\n| net | size | steps | seconds | train img/s | loss at {at} | eval accuracy "
        "| training batch, training / inference mode | gap |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        training = r["train_batch_accuracy_training_mode"]
        inference = r["train_batch_accuracy_inference_mode"]
        losses = " / ".join(str(r["losses"][i]) for i in (1, 5, 9) if i < len(r["losses"]))
        print(
            f"| {r['net']} | {r['size']} | {r['steps']} | {r['seconds']} | {r['train_images_per_second']} "
            f"| {losses} "
            f"| {r['eval_accuracy']:.3f} | {training:.3f} / {inference:.3f} | {training - inference:+.3f} |"
        )


if __name__ == "__main__":
    main()
