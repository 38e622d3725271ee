"""Fine-tuning from weights against training from scratch, side by side, on data made in code.

    python benchmarks/fine_tuning.py [--model_name=resnet_v1_50] [--per_class=20] [--steps=150]
        [--seeds=2] [--mnist_dir=../shared/data/mnist]

Pretrains the net on digits 0-4 (seven-segment digits drawn in code,
``datasets/synthetic_digits.py``, 3,000 images; with --mnist_dir, real
handwritten MNIST digits 0-4 from the first 8,000 of its test set) for
--pretrain_steps steps with its recipe, then trains on a small labelled set
of digits 5-9 of the same kind, --per_class images each, for --steps steps,
four ways, each with --seeds seeds:

- scratch: random weights, the net's recipe;
- the from-scratch recipe: from the pretrained checkpoint (logits left out),
  new logits drawn at random as a net from scratch draws them;
- the fine-tuning recipe: the same with new logits at zero, what train.py
  does from weights (--new_logits=zeros);
- pretrained layers at a tenth: that with --pretrained_rate_multiplier=0.1.

Prints each run's accuracy on held-out 5-9 (1,000 drawn, or those among
MNIST's last 2,000) as JSON lines, then a Markdown table of the means.
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

import cli  # noqa: E402, F401  (TensorFlow imports quietly when first used)

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


def write_mnist(mnist_dir: str, folder: str, classes: range, per_class: int | None) -> None:
    """Real digits of these classes: from the first 8,000 of MNIST's test set (``per_class`` each, or
    all), and from its last 2,000 to test."""
    os.makedirs(folder, exist_ok=True)
    images = idx_format.read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte.gz"), 2051)
    labels = idx_format.read_idx(os.path.join(mnist_dir, "t10k-labels-idx1-ubyte.gz"), 2049)
    chosen = np.sort(np.concatenate([np.flatnonzero(labels[:8000] == k)[:per_class] for k in classes]))
    test = 8000 + np.flatnonzero(np.isin(labels[8000:], classes))
    for split, part in (("train", chosen), ("test", test)):
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
    p.add_argument("--seeds", type=int, default=2, help="Runs of each way (--seed=0, 1, ...), averaged.")
    p.add_argument("--mnist_dir", default=None, help="Real MNIST digits instead (its four .gz files).")
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
    if args.mnist_dir:
        write_mnist(args.mnist_dir, os.path.join(work, "raw_first"), range(5), None)
        write_mnist(args.mnist_dir, os.path.join(work, "raw_second"), range(5, 10), args.per_class)
        kind = "real MNIST digits"
    else:
        rng = np.random.default_rng(0)
        write_digits(os.path.join(work, "raw_first"), rng.integers(0, 5, 3000), rng.integers(0, 5, 500), 10)
        small = np.repeat(np.arange(5, 10), args.per_class)
        write_digits(os.path.join(work, "raw_second"), small, rng.integers(5, 10, 1000), seed=20)
        kind = "drawn digits"
    source = convert(os.path.join(work, "raw_first"), os.path.join(work, "first"))
    target = convert(os.path.join(work, "raw_second"), os.path.join(work, "second"))
    pretrained = os.path.join(work, "pretrained")
    source_accuracy = train_and_eval(  # skipped when --workdir holds it already
        source, pretrained, common, f"--max_number_of_steps={args.pretrain_steps}", keep=True
    )
    start = [f"--checkpoint_path={pretrained}", "--checkpoint_exclude_scopes=Logits"]
    arms = {
        "scratch": [],
        "from-scratch recipe": [*start, "--new_logits=random"],
        "fine-tuning recipe": start,
        "pretrained layers at a tenth": [*start, "--pretrained_rate_multiplier=0.1"],
    }
    header = {"net": args.model_name, "size": size, "data": kind, "pretrain_steps": args.pretrain_steps,
              "pretrain_accuracy": round(source_accuracy, 4), "per_class": args.per_class,
              "steps": args.steps, "batch_size": args.batch_size}  # fmt: skip
    accuracies = {}
    for how, extra in arms.items():
        runs = []
        for seed in range(args.seeds):
            flags = [*extra, f"--max_number_of_steps={args.steps}", f"--seed={seed}"]
            train_dir = os.path.join(work, f"{how.replace(' ', '_')}_{seed}")
            runs.append(train_and_eval(target, train_dir, common, *flags))
            print(
                json.dumps({**header, "run": how, "seed": seed, "accuracy": round(runs[-1], 4)}), flush=True
            )
        accuracies[how] = runs
    print(f"\n{args.model_name} at {size} px, {kind}: pretrained on 0-4 ({args.pretrain_steps} steps), then "
          f"{args.steps} steps at batch {args.batch_size} on {args.per_class} images a class of 5-9\n\n"
          "| run | held-out accuracy, mean (each seed) |\n| --- | --- |")  # fmt: skip
    for how, runs in accuracies.items():
        print(f"| {how} | {np.mean(runs):.3f} ({', '.join(f'{r:.3f}' for r in runs)}) |")


if __name__ == "__main__":
    main()
