"""Shared fixtures: TensorFlow is imported once, quietly; small data made on the spot."""

import os
import subprocess
import sys

import cli  # (TensorFlow imports quietly when first used; started below, before any test imports it)

import pytest

import train
from datasets import mnist, synthetic_digits
from deployment import model_deploy

cli.startup.start()


def pytest_addoption(parser):
    parser.addoption(
        "--train-seed",
        type=int,
        default=0,
        help="--seed of the learning tests' training runs (check a recipe's margin with 1, 2, ...).",
    )


def pytest_collection_modifyitems(config, items):
    """Skips the bfloat16 tests where bfloat16 would crash (an AVX2 CPU, ONEDNN_MAX_CPU_ISA=AVX2)."""
    reason = model_deploy.bfloat16_unsupported_reason()
    for item in items:
        if reason and "bfloat16" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"no bfloat16 here: {reason}"))


@pytest.fixture(scope="session")
def train_seed(request) -> int:
    return request.config.getoption("--train-seed")


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory):
    """A converted MNIST-format dataset of 600 train and 200 test synthetic digits."""
    raw = tmp_path_factory.mktemp("raw")
    synthetic_digits.write_mnist_files(str(raw), num_train=600, num_test=200, seed=3)
    out = tmp_path_factory.mktemp("mnist")
    mnist.download_and_convert(str(out), source_dir=str(raw))
    return str(out)


@pytest.fixture(scope="session")
def lenet_dir(mnist_dir, tmp_path_factory, train_seed):
    """A LeNet trained 150 steps at batch 16 with its recipe on ``mnist_dir`` (shared: do not train it
    further). The learn test's figures: 0.89 held-out accuracy or more."""
    train_dir = str(tmp_path_factory.mktemp("lenet"))
    assert train.main([
        "--dataset_name=mnist", f"--dataset_dir={mnist_dir}", "--model_name=lenet",
        f"--train_dir={train_dir}", "--max_number_of_steps=150", "--batch_size=16",
        "--log_every_n_steps=50", f"--seed={train_seed}",
    ]) == 0  # fmt: skip
    return train_dir


@pytest.fixture(scope="session")
def two_shard_mnist(tmp_path_factory):
    """MNIST-format digits in two shards per split, for two workers reading a shard each."""
    raw = tmp_path_factory.mktemp("raw2")
    synthetic_digits.write_mnist_files(str(raw), num_train=800, num_test=200, seed=5)
    out = tmp_path_factory.mktemp("mnist2")
    mnist.download_and_convert(str(out), source_dir=str(raw), num_shards=2)
    return str(out)


@pytest.fixture(scope="module")
def slim_references(tmp_path_factory):
    """``make(specs)``: TF-Slim's checkpoints and logits for ``{net: (builder, size, classes, format)}``,
    written by TF-Slim itself in one subprocess (``tests/slim_reference.py``); returns their folder."""

    def make(specs: dict) -> str:
        out = str(tmp_path_factory.mktemp("slim"))
        script = os.path.join(os.path.dirname(__file__), "slim_reference.py")
        args = [":".join(map(str, (name, *spec))) for name, spec in specs.items()]
        result = subprocess.run(
            [sys.executable, script, out, *args], capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return out

    return make
