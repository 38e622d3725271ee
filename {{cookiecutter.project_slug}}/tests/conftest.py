"""Shared fixtures: TensorFlow is imported once, quietly; small data made on the spot."""

import cli  # noqa: F401  (imports TensorFlow quietly, before anything else does)

import pytest

import train
from datasets import mnist, synthetic_digits


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory):
    """A converted MNIST-format dataset of 600 train and 200 test synthetic digits."""
    raw = tmp_path_factory.mktemp("raw")
    synthetic_digits.write_mnist_files(str(raw), num_train=600, num_test=200, seed=3)
    out = tmp_path_factory.mktemp("mnist")
    mnist.download_and_convert(str(out), source_dir=str(raw))
    return str(out)


@pytest.fixture(scope="session")
def lenet_dir(mnist_dir, tmp_path_factory):
    """A LeNet trained 80 steps on ``mnist_dir`` (shared: do not train it further)."""
    train_dir = str(tmp_path_factory.mktemp("lenet"))
    assert train.main([
        "--dataset_name=mnist", f"--dataset_dir={mnist_dir}", "--model_name=lenet",
        f"--train_dir={train_dir}", "--max_number_of_steps=80", "--batch_size=32", "--optimizer=momentum",
        "--learning_rate=0.01",
        "--log_every_n_steps=40",
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
