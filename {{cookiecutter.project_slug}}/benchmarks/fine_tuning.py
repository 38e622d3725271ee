"""Fine-tuning from weights against training from scratch, side by side, on data made in code.

    python benchmarks/fine_tuning.py [--model_name=resnet_v1_50] [--per_class=20] [--steps=150]
        [--mnist_dir=../shared/data/mnist]

Pretrains the net on one task, seven-segment digits 0-4 drawn in code
(``datasets/synthetic_digits.py``, 3,000 images, --pretrain_steps steps with
its recipe), then trains on another, a small labelled set: digits 5-9,
--per_class images each (with --mnist_dir: real handwritten MNIST digits, all
ten classes, from the first 8,000 of its test set), for --steps steps, three
ways:

- scratch: random weights, the net's recipe;
- fine-tuned: from the pretrained checkpoint (logits left out) with the
  net's recipe, what train.py does by default;
- pretrained layers at a tenth: the same with --pretrained_rate_multiplier=0.1
  (the new logits at the full rate);
- everything at a tenth: the same with a tenth of the recipe's rate.

Prints each one's accuracy on held-out images of the second task (1,000
drawn, or MNIST's last 2,000) as JSON lines, then a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PROJECT)

import cli  # noqa: E402, F401  (imports TensorFlow quietly)

import numpy as np  # noqa: E402

from datasets import idx_format, synthetic_digits  # noqa: E402
from nets import nets_factory  # noqa: E402


def write_digits(folder: str, train: np.ndarray, test: np.ndarray, seed: int) -> None:
    """MNIST-format files of drawn digits with these labels."""
    os.makedirs(folder, exist_ok=True)
    for split, labels in (("train", train), ("test", test)):
        images_name, labels_name = idx_format.MNIST_FILES[split]
        idx_format.write_idx(os.path.join(folder, images_name), synthetic_digits.draw_digits(labels, seed))
        idx_format.write_idx(os.path.join(folder, labels_name), labels.astype(np.uint8))
        seed += 1


def write_mnist_subset(mnist_dir: str, folder: str, per_class: int) -> None:
    """``per_class`` real digits a class from the first 8,000 of MNIST's test set; its last 2,000 to test."""
    os.makedirs(folder, exist_ok=True)
    images = idx_format.read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte.gz"), 2051)
    labels = idx_format.read_idx(os.path.join(mnist_dir, "t10k-labels-idx1-ubyte.gz"), 2049)
    chosen = np.concatenate([np.flatnonzero(labels[:8000] == k)[:per_class] for k in range(10)])
    for split, part in (("train", np.sort(chosen)), ("test", slice(8000, 10000))):
        images_name, labels_name = idx_format.MNIST_FILES[split]
        idx_format.write_idx(os.path.join(folder, images_name), images[part])
        idx_format.write_idx(os.path.join(folder, labels_name), labels[part])


def run(*args: str) -> str:
    result = subprocess.run([sys.executable, *args], cwd=PROJECT, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(result.stdout[-2000:] + result.stderr[-3000:])
    return result.stdout


def convert(raw: str, data: str) -> str:
    if os.path.exists(os.path.join(data, "dataset_info.json")):
        return data  # converted in an earlier run with this --workdir
    run(
        "download_and_convert_data.py", "--dataset_name=mnist", f"--source_dir={raw}", f"--dataset_dir={data}"
    )
    return data


def train_and_eval(data: str, train_dir: str, common: list[str], *extra: str, keep: bool = False) -> float:
    """Trains a fresh run (or, with ``keep``, takes the one there) and returns its test accuracy."""
    if not (keep and os.path.exists(os.path.join(train_dir, "checkpoint"))):
        shutil.rmtree(train_dir, ignore_errors=True)  # a fresh run, never a resumed one
        flags = [f"--dataset_dir={data}", f"--train_dir={train_dir}", *common, *extra]
        run("train.py", "--dataset_name=mnist", *flags)
    metrics = run("eval.py", f"--checkpoint_path={train_dir}", "--dataset_split_name=test")
    return json.loads(metrics.splitlines()[-1])["accuracy"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model_name", default="resnet_v1_50")
    p.add_argument("--per_class", type=int, default=20)
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--pretrain_steps", type=int, default=300)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--mnist_dir", default=None, help="Real MNIST as the second task (its four .gz files).")
    p.add_argument("--workdir", default=None)
    args = p.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="fine_tuning_")
    spec = nets_factory.get_net_spec(args.model_name)
    size = spec.min_image_size or min(spec.default_image_size, 32)
    common = [
        f"--model_name={args.model_name}",
        f"--train_image_size={size}",
        f"--batch_size={args.batch_size}",
    ]
    rng = np.random.default_rng(0)
    first = lambda n: rng.integers(0, 5, n)  # noqa: E731
    write_digits(os.path.join(work, "raw_first"), first(3000), first(500), seed=10)
    source = convert(os.path.join(work, "raw_first"), os.path.join(work, "first"))
    if args.mnist_dir:
        write_mnist_subset(args.mnist_dir, os.path.join(work, "raw_second"), args.per_class)
        second_task = f"real MNIST digits 0-9, {args.per_class} a class"
    else:
        small = np.repeat(np.arange(5, 10), args.per_class)
        write_digits(os.path.join(work, "raw_second"), small, rng.integers(5, 10, 1000), seed=20)
        second_task = f"drawn digits 5-9, {args.per_class} a class"
    target = convert(os.path.join(work, "raw_second"), os.path.join(work, "second"))
    pretrained = os.path.join(work, "pretrained")
    source_accuracy = train_and_eval(  # skipped when --workdir holds it already
        source, pretrained, common, f"--max_number_of_steps={args.pretrain_steps}", keep=True
    )
    steps = [f"--max_number_of_steps={args.steps}"]
    start = [f"--checkpoint_path={pretrained}", "--checkpoint_exclude_scopes=Logits"]
    tenth = f"--learning_rate={spec.recipe.get('learning_rate', 0.01) / 10}"
    arms = {
        "scratch": steps,
        "fine-tuned": [*steps, *start],
        "pretrained layers at a tenth": [*steps, *start, "--pretrained_rate_multiplier=0.1"],
        "everything at a tenth": [*steps, *start, tenth],
    }
    rows = [(how, train_and_eval(target, os.path.join(work, how.replace(" ", "_")), common, *extra))
            for how, extra in arms.items()]  # fmt: skip
    header = {"net": args.model_name, "size": size, "pretrained_on": "drawn digits 0-4",
              "pretrain_steps": args.pretrain_steps, "pretrain_accuracy": round(source_accuracy, 4),
              "second_task": second_task, "steps": args.steps, "batch_size": args.batch_size}  # fmt: skip
    for how, accuracy in rows:
        print(json.dumps({**header, "run": how, "accuracy": round(accuracy, 4)}), flush=True)
    print(f"\n{args.model_name} at {size} px; second task: {second_task}, {args.steps} steps at batch "
          f"{args.batch_size}\n\n| run | held-out accuracy |\n| --- | --- |")  # fmt: skip
    for how, accuracy in rows:
        print(f"| {how} | {accuracy:.3f} |")


if __name__ == "__main__":
    main()
