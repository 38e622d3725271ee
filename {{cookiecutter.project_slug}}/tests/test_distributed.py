"""Several devices and several workers: same trajectory, one checkpoint set, restart after a lost worker.

Worker processes talk over 127.0.0.1 on free ports; every process a test
starts is stopped by the test itself.
"""

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from datasets import input_pipeline, mnist
from deployment import launch_local, model_deploy

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def losses(stdout: str) -> list[float]:
    return [float(x) for x in re.findall(r"loss = ([\d.]+)", stdout)]


def run_train(*flags, env=None):
    result = subprocess.run(
        [sys.executable, "train.py", *flags],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_mirrored_on_two_devices_follows_the_single_device_trajectory(tmp_path):
    common = [
        "--dataset_name=sine",
        "--model_name=regression",
        "--max_number_of_steps=60",
        "--log_every_n_steps=5",
    ]
    single = losses(run_train(*common, f"--train_dir={tmp_path / 'one'}", "--batch_size=32"))
    mirrored = losses(
        run_train(
            *common, f"--train_dir={tmp_path / 'two'}", "--batch_size=16", "--num_clones=2", "--clone_on_cpu"
        )
    )
    assert len(single) == len(mirrored) == 12
    # The same 32 examples per step, split 16 + 16: only summation order differs.
    np.testing.assert_allclose(mirrored, single, rtol=1e-3)
    assert single[-1] < 0.5 * single[0]


def test_workers_shard_by_file_or_by_example_without_overlap(two_shard_mnist, mnist_dir):
    def labels_and_pixels(split, workers, index):
        ds = input_pipeline.train_dataset(
            split, lambda x, y, seed: (x, y), 1, num_workers=workers, worker_index=index
        )
        return [x.numpy().tobytes() for x, _ in itertools.islice(ds, split.num_samples // workers)]

    by_file = mnist.get_split("train", two_shard_mnist)
    a, b = labels_and_pixels(by_file, 2, 0), labels_and_pixels(by_file, 2, 1)
    assert len(a) == len(b) == 400 and not set(a) & set(b)
    one_file = mnist.get_split("train", mnist_dir)
    with pytest.warns(UserWarning, match="1 shard file"):
        c, d = labels_and_pixels(one_file, 2, 0), labels_and_pixels(one_file, 2, 1)
    assert not set(c) & set(d)


def test_bad_tf_config_is_explained(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {}}')
    with pytest.raises(model_deploy.DeploymentError, match="TF_CONFIG must be JSON like"):
        model_deploy.cluster_from_env()
    monkeypatch.setenv("TF_CONFIG", launch_local.tf_config(["127.0.0.1:1"], 0))
    assert model_deploy.cluster_from_env() is None  # one task: no cluster to join


def start_job(flags, tmp_path):
    env_tmp = tmp_path / "worker_tmp"
    env_tmp.mkdir(exist_ok=True)
    os.environ["TMPDIR"] = str(env_tmp)  # where non-chief workers put their checkpoints
    try:
        return launch_local.start_workers(
            flags, 2, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    finally:
        del os.environ["TMPDIR"]


def stop(workers):
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
        worker.wait()


def test_two_workers_train_and_write_one_checkpoint_set(two_shard_mnist, tmp_path):
    train_dir = tmp_path / "lenet"
    flags = [
        "--dataset_name=mnist",
        f"--dataset_dir={two_shard_mnist}",
        f"--train_dir={train_dir}",
        "--max_number_of_steps=40",
        "--batch_size=16",
        "--log_every_n_steps=20",
        "--save_interval_secs=0.5",
        "--eval_every_n_steps=20",
        "--keep_best_by=accuracy",
    ]
    workers = start_job(flags, tmp_path)
    try:
        outputs = [w.communicate(timeout=240)[0] for w in workers]
    finally:
        stop(workers)
    assert [w.returncode for w in workers] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    assert "Saved" in outputs[0] and "Saved" not in outputs[1]  # only the chief writes
    # The chief validates while the other worker waits; both go on to the end.
    assert "validation at step 20" in outputs[0] and "validation at step 40" in outputs[0]
    assert "validation" not in outputs[1]
    assert json.loads((train_dir / "best" / "best.json").read_text())["metric"] == "accuracy"
    assert tf.train.latest_checkpoint(str(train_dir)).endswith("ckpt-40")
    assert os.listdir(tmp_path / "worker_tmp") == []  # the other worker cleaned up
    reader = tf.train.load_checkpoint(str(train_dir / "ckpt-40"))
    assert reader.get_tensor("examples_seen/.ATTRIBUTES/VARIABLE_VALUE") == 40 * 16 * 2
    evaluated = subprocess.run(
        [sys.executable, "eval.py", f"--checkpoint_path={train_dir}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert json.loads(evaluated.stdout.splitlines()[-1])["step"] == 40


def test_a_job_that_lost_a_worker_restarts_from_its_last_checkpoint(two_shard_mnist, tmp_path):
    train_dir = tmp_path / "lenet"
    flags = [
        "--dataset_name=mnist",
        f"--dataset_dir={two_shard_mnist}",
        f"--train_dir={train_dir}",
        "--max_number_of_steps=60",
        "--batch_size=8",
        "--log_every_n_steps=10",
        "--save_interval_secs=0.5",
    ]
    workers = start_job(flags, tmp_path)
    try:
        deadline = time.monotonic() + 120
        while tf.train.latest_checkpoint(str(train_dir)) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tf.train.latest_checkpoint(str(train_dir)), "no checkpoint before the kill"
        workers[1].send_signal(signal.SIGKILL)
        workers[1].wait()
        # The chief cannot go on alone: the job is stopped as a whole, as a scheduler would.
        time.sleep(1)
    finally:
        stop(workers)
    survived = tf.train.latest_checkpoint(str(train_dir))
    step_before = int(survived.rsplit("-", 1)[1])
    assert 0 < step_before < 60

    workers = start_job(flags, tmp_path)
    try:
        outputs = [w.communicate(timeout=240)[0] for w in workers]
    finally:
        stop(workers)
    assert [w.returncode for w in workers] == [0, 0], outputs[0][-2000:]
    resumed = re.search(r"Resuming from .*ckpt-(\d+) at step (\d+)", outputs[0])
    assert resumed and int(resumed.group(2)) >= step_before
    assert tf.train.latest_checkpoint(str(train_dir)).endswith("ckpt-60")


def test_sigterm_to_one_worker_saves_on_every_worker_and_the_job_resumes(two_shard_mnist, tmp_path):
    train_dir = tmp_path / "lenet"
    flags = [
        "--dataset_name=mnist",
        f"--dataset_dir={two_shard_mnist}",
        f"--train_dir={train_dir}",
        "--max_number_of_steps=100000",
        "--batch_size=8",
        "--log_every_n_steps=10",
    ]
    workers = start_job(flags, tmp_path)
    try:
        deadline = time.monotonic() + 120
        seen = ""
        while "step 20:" not in seen and time.monotonic() < deadline:
            seen += workers[0].stdout.readline()
        assert "step 20:" in seen, seen[-2000:]
        workers[1].send_signal(signal.SIGTERM)
        outputs = [w.communicate(timeout=120)[0] for w in workers]
    finally:
        stop(workers)
    assert [w.returncode for w in workers] == [143, 143], outputs[0][-2000:] + outputs[1][-2000:]
    assert "Stopped on SIGTERM" in outputs[1] and "another worker was stopped" in outputs[0]
    saved = tf.train.latest_checkpoint(str(train_dir))
    stopped_at = int(saved.rsplit("-", 1)[1])
    assert stopped_at >= 20 and os.listdir(tmp_path / "worker_tmp") == []
    workers = start_job([*flags[:3], f"--max_number_of_steps={stopped_at + 10}", *flags[4:]], tmp_path)
    try:
        outputs = [w.communicate(timeout=240)[0] for w in workers]
    finally:
        stop(workers)
    assert [w.returncode for w in workers] == [0, 0], outputs[0][-2000:]
    assert f"Resuming from {saved} at step {stopped_at}" in outputs[0]
