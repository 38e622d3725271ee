"""Training speed, side by side in one run: train.py against a minimal loop, and the input alone.

    python benchmarks/train_speed.py [--dataset_dir=DIR] [--model_name=lenet] [--batch_size=64]

On the same net, data and batch size it measures examples/s of
1. ``train.py`` (float32, then ``--mixed_precision=bfloat16``), from its own progress lines;
2. a minimal hand-written ``tf.function`` loop (forward, backward, momentum SGD)
   (float32 train.py and the minimal loop twice each, alternating; the faster of each counts);
3. the input pipeline alone.
It prints one JSON object with the figures and the ratios (train.py /
minimal, bfloat16 / float32, input / train.py). Without --dataset_dir it
converts 6,000 synthetic digits first. Weight decay is off in both loops.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PROJECT)

import cli  # noqa: E402, F401  (TensorFlow imports quietly when first used)

import minimal_loop  # noqa: E402  (beside this script)
import tensorflow as tf  # noqa: E402

from datasets import input_pipeline, mnist, synthetic_digits  # noqa: E402
from deployment import model_deploy  # noqa: E402
from nets import nets_factory  # noqa: E402
from preprocessing import preprocessing_factory  # noqa: E402


def train_py_rate(flags: list[str]) -> float:
    """Median examples/s of train.py's progress lines, the first (tracing) one left out."""
    out = subprocess.run(
        [sys.executable, "train.py", *flags], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout
    rates = [float(r) for r in re.findall(r"\(([\d.]+) examples/s\)", out)][1:]
    if not rates:
        sys.exit("train_speed: train.py printed fewer than two progress lines; give more --steps.")
    return statistics.median(rates)


def minimal_loop_rate(
    dataset, model_name: str, num_classes: int, batch: int, chunks: int, steps: int
) -> float:
    net = nets_factory.get_network(model_name, num_classes)
    iterator = iter(dataset)
    net(next(iterator)[0])

    def loss(labels, logits):
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))

    optimizer = tf.keras.optimizers.SGD(0.01, momentum=0.9)
    return minimal_loop.images_per_second(net, iterator, loss, optimizer, batch, steps, chunks)


def input_rate(dataset, batch: int, batches: int) -> float:
    iterator = iter(dataset)
    for _ in range(20):
        next(iterator)
    start = time.perf_counter()
    for _ in itertools.islice(iterator, batches):
        pass
    return batches * batch / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset_dir", default=None, help="Converted MNIST-format data (default: synthetic).")
    p.add_argument("--model_name", default="lenet")
    p.add_argument("--batch_size", type=int, default=64)
    p.add_argument("--steps", type=int, default=600, help="train.py steps per run.")
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="train_speed_")
    data = args.dataset_dir
    if data is None:
        synthetic_digits.write_mnist_files(os.path.join(work, "raw"))
        data = os.path.join(work, "data")
        mnist.download_and_convert(data, source_dir=os.path.join(work, "raw"))
    split = mnist.get_split("train", data)
    spec = nets_factory.get_net_spec(args.model_name)
    size = spec.default_image_size
    preprocess = functools.partial(
        preprocessing_factory.get_preprocessing(spec.default_preprocessing, is_training=True),
        output_height=size,
        output_width=size,
    )
    dataset = input_pipeline.train_dataset(
        split, lambda image, label, seed: (preprocess(image, seed=seed), label), args.batch_size
    )

    common = [
        "--dataset_name=mnist", f"--dataset_dir={data}", f"--model_name={args.model_name}",
        f"--batch_size={args.batch_size}", "--optimizer=momentum", "--learning_rate=0.01", "--weight_decay=0",
        f"--max_number_of_steps={args.steps}", "--log_every_n_steps=100",
    ]  # fmt: skip
    # Each twice, alternating, the faster run of each kept: one run of either varies by about 5%.
    fp32, minimal = 0.0, 0.0
    for run in range(2):
        fp32 = max(fp32, train_py_rate([*common, f"--train_dir={work}/fp32_{run}"]))
        minimal = max(
            minimal, minimal_loop_rate(dataset, args.model_name, split.num_classes, args.batch_size, 5, 100)
        )
    no_bfloat16 = model_deploy.bfloat16_unsupported_reason()
    bf16 = (
        None
        if no_bfloat16
        else train_py_rate([*common, f"--train_dir={work}/bf16", "--mixed_precision=bfloat16"])
    )
    pipeline = input_rate(dataset, args.batch_size, 400)
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    print(
        json.dumps(
            {
                "model": args.model_name,
                "batch_size": args.batch_size,
                "cpu_has_avx512_bf16": "avx512_bf16" in flags,
                "cpu_has_amx_bf16": "amx_bf16" in flags,
                "cores": os.cpu_count(),
                "train_py_fp32_examples_per_sec": round(fp32),
                "minimal_loop_fp32_examples_per_sec": round(minimal),
                "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "default"),
                "train_py_bf16_examples_per_sec": round(bf16) if bf16 else no_bfloat16,
                "input_pipeline_examples_per_sec": round(pipeline),
                "ratio_train_py_vs_minimal": round(fp32 / minimal, 3),
                "ratio_bf16_vs_fp32": round(bf16 / fp32, 3) if bf16 else None,
                "ratio_input_vs_train": round(pipeline / fp32, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
