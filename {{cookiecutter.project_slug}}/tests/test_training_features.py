"""Training a user can watch, steer and stop: validation and the best checkpoint, early stopping,
a progress bar on terminals, config files and experiments, and TensorFlow file systems."""

import glob
import json
import os
import pty
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import yaml

import download_and_convert_data
import eval as eval_py
import export
import infer
import train
import train_flags
from datasets import synthetic_digits
from training import validation

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_validation_keeps_the_best_checkpoint_and_stops_early(mnist_dir, tmp_path, capsys):
    directory = tmp_path / "lenet"
    flags = ["--dataset_name=mnist", f"--dataset_dir={mnist_dir}", f"--train_dir={directory}",
             "--batch_size=16",
             "--eval_every_n_steps=20", "--keep_best_by=accuracy", "--log_every_n_steps=10"]  # fmt: skip
    assert train.main([*flags, "--max_number_of_steps=40"]) == 0
    logged = {
        int(s): float(v)
        for s, v in re.findall(r"validation at step (\d+): accuracy = ([\d.]+)", capsys.readouterr().out)
    }
    assert sorted(logged) == [20, 40]
    best = json.loads((directory / "best" / validation.BEST_RECORD).read_text())
    assert best["step"] == max(logged, key=lambda s: (logged[s], -s)) and best["metric"] == "accuracy"

    # Frozen weights (rate 0, no momentum) cannot beat the best: patience 2 stops after two evaluations.
    frozen = [
        "--learning_rate=0",
        "--momentum=0",
        "--early_stopping_patience=2",
        "--max_number_of_steps=1000",
    ]
    assert train.main([*flags, *frozen]) == 0
    out = capsys.readouterr().out
    assert "validation at step 60" in out and "validation at step 80" in out and "step 100" not in out
    assert f"Stopping early: accuracy has not improved in 2 evaluation(s) since step {best['step']}" in out
    assert tf.train.latest_checkpoint(str(directory)).endswith("ckpt-80")
    assert json.loads((directory / "best" / validation.BEST_RECORD).read_text())["step"] == best["step"] != 80

    assert eval_py.main([f"--checkpoint_path={directory}/best"]) == 0
    evaluated = last_json(capsys)
    assert evaluated["step"] == best["step"] and evaluated["accuracy"] == best["value"]  # exactly
    assert glob.glob(str(directory / "validation_test" / "events.out.tfevents.*"))


def _train_output(flags):
    """train.py's output on a terminal (a pseudo-terminal)."""
    command = [sys.executable, "train.py", *flags]
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, cwd=PROJECT, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=300)
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_progress_is_a_bar_with_an_eta_on_a_terminal_and_plain_lines_elsewhere(tmp_path, capsys):
    flags = [
        "--dataset_name=sine",
        "--model_name=regression",
        "--max_number_of_steps=150",
        "--log_every_n_steps=50",
    ]
    on_terminal = _train_output([*flags, f"--train_dir={tmp_path / 'tty'}"])
    # One line redrawn in place: the global step of the last, a bar, the speed, the loss, the time left.
    drawn = re.search(
        r"\rstep 100/150  \[=+\.+\]  \d+ examples/s  loss [\d.]+  \d+:\d\d:\d\d left", on_terminal
    )
    assert drawn and "step 50: loss =" not in on_terminal, on_terminal[-1500:]
    assert train.main([*flags, f"--train_dir={tmp_path / 'file'}"]) == 0  # capsys: not a terminal
    elsewhere = capsys.readouterr().out
    assert "step 50: loss =" in elsewhere and "step 150: loss =" in elsewhere and "\r" not in elsewhere


def test_a_run_started_from_its_own_record_is_the_same_run(tmp_path, capsys):
    flags = ["--dataset_name=sine", "--model_name=regression", "--max_number_of_steps=60",
             "--log_every_n_steps=20",
             "--seed=3", "--optimizer=adam", "--learning_rate=0.01"]  # fmt: skip
    assert train.main([*flags, f"--train_dir={tmp_path / 'first'}"]) == 0
    first = re.findall(r"step 60: loss = ([\d.]+)", capsys.readouterr().out)
    record = tmp_path / "first" / "train_config.json"
    assert train.main([f"--config={record}", f"--train_dir={tmp_path / 'again'}"]) == 0
    again = re.findall(r"step 60: loss = ([\d.]+)", capsys.readouterr().out)
    assert first == again and len(first) == 1
    a, b = (tf.train.load_checkpoint(str(tmp_path / run / "ckpt-60")) for run in ("first", "again"))
    for name in a.get_variable_to_shape_map():
        if name.startswith("model/"):
            np.testing.assert_array_equal(a.get_tensor(name), b.get_tensor(name))


def test_config_files_refuse_unknown_keys_and_yield_to_the_command_line(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text("model_nme: lenet\nbatch_size: 8\n")
    with pytest.raises(SystemExit) as exited:
        train_flags.parse(None, [f"--config={config}"])
    assert exited.value.code == 2
    assert "unknown flag(s) model_nme (did you mean model_name?)" in capsys.readouterr().err
    config.write_text("model_name: cifarnet\nbatch_size: 8\nmixed_precision: bfloat16\n")
    flagfile = tmp_path / "flags.txt"
    flagfile.write_text("# comments are fine\n--batch_size=12\n--seed=4\n")
    args = train_flags.parse(None, [f"--config={config}", f"--flagfile={flagfile}", "--seed=5"])
    assert (args.model_name, args.batch_size, args.seed, args.mixed_precision) == (
        "cifarnet",
        12,
        5,
        "bfloat16",
    )
    config.write_text("batch_size: 0\n")
    with pytest.raises(SystemExit):
        train_flags.parse(None, [f"--config={config}"])
    assert "batch_size: expected a positive integer" in capsys.readouterr().err


@pytest.mark.parametrize(
    "path", sorted(glob.glob(os.path.join(PROJECT, "experiments", "*.yaml"))), ids=os.path.basename
)
def test_every_experiment_file_is_accepted_by_train_py(path):
    values = yaml.safe_load(open(path))
    args = train_flags.parse(None, [f"--config={path}"])
    for key, value in values.items():
        assert getattr(args, key) == value or str(getattr(args, key)) == str(value), key


def test_convert_train_resume_eval_export_on_a_tensorflow_file_system(tmp_path, capsys):
    raw = tmp_path / "raw"
    synthetic_digits.write_mnist_files(str(raw), num_train=300, num_test=100, seed=8)
    data, run, exported = "ram://slim/mnist", "ram://slim/lenet", "ram://slim/exported"
    assert (
        download_and_convert_data.main(
            ["--dataset_name=mnist", f"--source_dir={raw}", f"--dataset_dir={data}"]
        )
        == 0
    )
    flags = ["--dataset_name=mnist", f"--dataset_dir={data}", f"--train_dir={run}", "--batch_size=16",
             "--eval_every_n_steps=20", "--log_every_n_steps=10"]  # fmt: skip
    assert train.main([*flags, "--max_number_of_steps=20"]) == 0
    assert train.main([*flags, "--max_number_of_steps=30"]) == 0
    assert "Resuming from ram://slim/lenet/ckpt-20 at step 20" in capsys.readouterr().out
    assert tf.io.gfile.exists(f"{run}/best/{validation.BEST_RECORD}")
    assert eval_py.main([f"--checkpoint_path={run}"]) == 0
    metrics = last_json(capsys)
    assert metrics["step"] == 30 and tf.io.gfile.exists(metrics["confusion_matrix_png"])
    assert export.main([f"--checkpoint_path={run}", f"--output_dir={exported}"]) == 0
    png = synthetic_digits.write_sample_pngs(str(tmp_path / "png"), 1)[0][0]
    tf.io.gfile.copy(png, "ram://slim/digit.png")
    capsys.readouterr()
    assert infer.main([f"--saved_model_dir={exported}", "ram://slim/digit.png"]) == 0
    assert "predictions" in last_json(capsys)
    assert not [p for p in tf.io.gfile.glob("ram://slim/*") if p.endswith(".incomplete")]
