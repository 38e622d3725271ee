"""Shared fixtures: TensorFlow is imported once, quietly; small data made on the spot."""

import pytest

from deployment.tf_startup import import_tensorflow

import_tensorflow()

from datasets import mnist, synthetic_digits  # noqa: E402


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory):
    """A converted MNIST-format dataset of 600 train and 200 test synthetic digits."""
    raw = tmp_path_factory.mktemp("raw")
    synthetic_digits.write_mnist_files(str(raw), num_train=600, num_test=200, seed=3)
    out = tmp_path_factory.mktemp("mnist")
    mnist.download_and_convert(str(out), source_dir=str(raw))
    return str(out)
