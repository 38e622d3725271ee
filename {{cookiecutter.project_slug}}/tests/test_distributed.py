"""Several devices and several workers: same trajectory, one checkpoint set, restart after a lost worker.

Worker processes talk over 127.0.0.1 on free ports; every process a test
starts is stopped by the test itself.
"""

import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
import tensorflow as tf

import eval as eval_py
import train
from datasets import input_pipeline, mnist
from deployment import model_deploy

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


def test_mirrored_on_two_devices_follows_the_single_device_trajectory(tmp_path, capsys):
    common = [
        "--dataset_name=sine",
        "--model_name=regression",
        "--max_number_of_steps=60",
        "--log_every_n_steps=5",
    ]
    assert train.main([*common, f"--train_dir={tmp_path / 'one'}", "--batch_size=32"]) == 0
    single = losses(capsys.readouterr().out)
    # Two CPU devices need a process of their own (devices are fixed when TensorFlow starts).
    mirrored = losses(
        run_train(
            *common, f"--train_dir={tmp_path / 'two'}", "--batch_size=16", "--num_clones=2", "--clone_on_cpu"
        )
    )
    assert len(single) == len(mirrored) == 12
    # The same 32 examples per step, split 16 + 16: only summation order differs.
    np.testing.assert_allclose(mirrored, single, rtol=1e-3)
    assert single[-1] < 0.5 * single[0]
    config = json.loads((tmp_path / "two" / "train_config.json").read_text())
    assert config["deployment"] == {"num_clones": 2, "clone_on_cpu": True, "tpu": None}
    reader = tf.train.load_checkpoint(str(tmp_path / "two" / "ckpt-60"))
    assert reader.get_tensor("examples_seen/.ATTRIBUTES/VARIABLE_VALUE") == 60 * 32  # the global batch


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


def test_a_killed_workers_checkpoint_copy_is_removed_by_the_next_worker(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    exited = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    orphan = tmp_path / f"slim-template-copy-worker1-pid{int(exited.stdout)}-x1"  # its process is gone
    live = tmp_path / f"slim-template-copy-worker2-pid{os.getpid()}-x2"
    for folder in (orphan, live):
        folder.mkdir()
        (folder / "ckpt-5.data-00000-of-00001").write_bytes(b"\0" * 1024)
    (tmp_path / "someone-elses-folder").mkdir()
    assert model_deploy.remove_orphaned_copies() == [str(orphan)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "someone-elses-folder"]


def test_bad_tf_config_is_explained(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {}}')
    with pytest.raises(model_deploy.DeploymentError, match="TF_CONFIG must be JSON like"):
        model_deploy.cluster_from_env()
    monkeypatch.setenv("TF_CONFIG", tf_config(["127.0.0.1:1"], 0))
    assert model_deploy.cluster_from_env() is None  # one task: no cluster to join


def tf_config(addresses: list[str], index: int) -> str:
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})


def start_job(flags, tmp_path, num_workers=2):
    """The workers of one job, each ``train.py`` with its TF_CONFIG naming them all on 127.0.0.1."""
    env_tmp = tmp_path / "worker_tmp"
    env_tmp.mkdir(exist_ok=True)
    sockets = [socket.socket() for _ in range(num_workers)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))  # a free port each
    addresses = [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]
    for s in sockets:
        s.close()
    # TMPDIR: where non-chief workers put their checkpoints.
    return [subprocess.Popen([sys.executable, "train.py", *flags], cwd=PROJECT, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             env={**os.environ, "TF_CONFIG": tf_config(addresses, i), "TMPDIR": str(env_tmp)})
            for i in range(num_workers)]  # fmt: skip


def stop(workers):
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
        worker.wait()


def _run_until(workers, wanted, timeout=120):
    """Reads the chief's output until a line holds ``wanted``; returns what it read."""
    deadline, seen = time.monotonic() + timeout, ""
    while wanted not in seen and time.monotonic() < deadline and workers[0].poll() is None:
        seen += workers[0].stdout.readline()
    assert wanted in seen, seen[-2000:]
    return seen


def test_a_two_worker_job_stopped_by_sigterm_resumes_and_writes_one_checkpoint_set(
    two_shard_mnist, tmp_path, capsys
):
    """SIGTERM to one worker: both save and stop; the job launched again resumes there and finishes."""
    train_dir = tmp_path / "lenet"
    flags = [f"--dataset_dir={two_shard_mnist}", f"--train_dir={train_dir}", "--dataset_name=mnist",
             "--batch_size=8", "--log_every_n_steps=10", "--save_interval_secs=0.5"]  # fmt: skip
    workers = start_job([*flags, "--max_number_of_steps=100000"], tmp_path)
    try:
        _run_until(workers, "step 20:")
        workers[1].send_signal(signal.SIGTERM)
        outputs = [w.communicate(timeout=120)[0] for w in workers]
    finally:
        stop(workers)
    assert [w.returncode for w in workers] == [143, 143], outputs[0][-2000:] + outputs[1][-2000:]
    assert "Stopped on SIGTERM" in outputs[1] and "another worker was stopped" in outputs[0]
    saved = tf.train.latest_checkpoint(str(train_dir))
    step_before = int(saved.rsplit("-", 1)[1])
    assert step_before >= 20 and os.listdir(tmp_path / "worker_tmp") == []
    _finish_the_job(flags, train_dir, step_before, tmp_path, capsys)


@pytest.mark.slow
def test_a_two_worker_job_that_lost_a_worker_restarts_from_its_last_checkpoint(
    two_shard_mnist, tmp_path, capsys
):
    """A worker killed outright: the job is stopped as a whole, and launched again resumes from the last
    periodic checkpoint."""
    train_dir = tmp_path / "lenet"
    flags = [f"--dataset_dir={two_shard_mnist}", f"--train_dir={train_dir}", "--dataset_name=mnist",
             "--batch_size=8", "--log_every_n_steps=10", "--save_interval_secs=0.5"]  # fmt: skip
    workers = start_job([*flags, "--max_number_of_steps=100000"], tmp_path)
    try:
        _run_until(workers, "step 20:")
        while tf.train.latest_checkpoint(str(train_dir)) is None:
            time.sleep(0.2)
        workers[1].send_signal(signal.SIGKILL)
        workers[1].wait()
        time.sleep(1)  # the chief cannot go on alone: the job is stopped as a whole, as a scheduler would
    finally:
        stop(workers)
    step_before = int(tf.train.latest_checkpoint(str(train_dir)).rsplit("-", 1)[1])
    assert step_before > 0
    _finish_the_job(flags, train_dir, step_before, tmp_path, capsys)


def _finish_the_job(flags, train_dir, step_before, tmp_path, capsys):
    """Launches the job again to 20 steps past ``step_before``, validating, and checks what it wrote."""
    left_before = set(os.listdir(tmp_path / "worker_tmp"))
    final = step_before + 20
    validation = ["--eval_every_n_steps=10", "--keep_best_by=accuracy"]
    workers = start_job([*flags, f"--max_number_of_steps={final}", *validation], tmp_path)
    try:
        outputs = [w.communicate(timeout=240)[0] for w in workers]
    finally:
        stop(workers)
    assert [w.returncode for w in workers] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    assert re.search(rf"Resuming from .*ckpt-{step_before} at step {step_before}", outputs[0])
    assert "Saved" in outputs[0] and "Saved" not in outputs[1]  # only the chief writes
    # The chief validates while the other worker waits; both go on to the end.
    assert f"validation at step {final}" in outputs[0] and "validation" not in outputs[1]
    assert json.loads((train_dir / "best" / "best.json").read_text())["metric"] == "accuracy"
    assert tf.train.latest_checkpoint(str(train_dir)).endswith(f"ckpt-{final}")
    # The other worker cleaned up its checkpoint copies (a killed launch's stay: nothing could remove them).
    assert set(os.listdir(tmp_path / "worker_tmp")) <= left_before
    reader = tf.train.load_checkpoint(str(train_dir / f"ckpt-{final}"))
    assert reader.get_tensor("examples_seen/.ATTRIBUTES/VARIABLE_VALUE") == final * 8 * 2
    capsys.readouterr()
    assert eval_py.main([f"--checkpoint_path={train_dir}"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["step"] == final
