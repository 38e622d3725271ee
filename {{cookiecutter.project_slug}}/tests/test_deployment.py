"""Placement on several devices. Splitting the CPU into logical devices must
happen before TensorFlow starts, so these run train.py in a fresh process
(two clones on the CPU: test_distributed.py)."""

import json
import os
import subprocess
import sys

import pytest

from deployment import model_deploy
from deployment.run_config import DeploymentConfig

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_train(*flags):
    return subprocess.run(
        [sys.executable, "train.py", *flags], cwd=PROJECT, capture_output=True, text=True, timeout=300
    )


def test_bad_clone_count_is_refused():
    with pytest.raises(model_deploy.DeploymentError, match="at least 1"):
        model_deploy.create_strategy(DeploymentConfig(num_clones=0))


@pytest.mark.slow
@pytest.mark.learning
def test_lenet_reaches_high_accuracy_on_synthetic_digits(tmp_path):
    """The quick tour's digits run: 300 steps on 6,000 digits."""
    from datasets import mnist, synthetic_digits

    synthetic_digits.write_mnist_files(str(tmp_path / "raw"))
    mnist.download_and_convert(str(tmp_path / "data"), source_dir=str(tmp_path / "raw"))
    result = run_train(
        "--dataset_name=mnist",
        f"--dataset_dir={tmp_path / 'data'}",
        "--model_name=lenet",
        f"--train_dir={tmp_path / 'lenet'}",
        "--max_number_of_steps=300",
        "--batch_size=64",
        "--optimizer=momentum",
        "--learning_rate=0.01",
        "--log_every_n_steps=100",
    )
    assert result.returncode == 0, result.stderr
    evaluated = subprocess.run(
        [sys.executable, "eval.py", f"--checkpoint_path={tmp_path / 'lenet'}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert json.loads(evaluated.stdout.splitlines()[-1])["accuracy"] > 0.97
