"""Nothing lost, nothing run that should not be: signals, locks, non-finite losses, exact resume,
flags on resume, bad images, short and corrupt shards, data that must not be destroyed, bad flags,
full disks and leftovers. Signal and lock tests use real processes."""

import io
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import download_and_convert_data
import eval as eval_py
import infer
import train
import train_flags
from datasets import converted, mnist, synthetic_digits
from training import signals, train_dir

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mnist_flags(mnist_dir, directory, *more):
    return ["--dataset_name=mnist", f"--dataset_dir={mnist_dir}", f"--train_dir={directory}",
            "--model_name=lenet", "--batch_size=16", *more]  # fmt: skip


def start_trainer(flags):
    return subprocess.Popen(
        [sys.executable, "train.py", *flags],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process, text, timeout=120):
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if text in line:
            return lines
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"no {text!r} in {''.join(lines)[-2000:]}{process.stderr.read()[-2000:]}")


def checkpoint_files(directory):
    return sorted(os.listdir(directory))


# --- 2 and 3: SIGTERM saves; a second trainer on the same folder is refused --------------------


def test_sigterm_saves_and_a_second_trainer_is_refused_meanwhile(mnist_dir, tmp_path, capsys):
    directory = tmp_path / "lenet"
    flags = mnist_flags(mnist_dir, directory, "--max_number_of_steps=100000", "--log_every_n_steps=10")
    first = start_trainer(flags)
    try:
        wait_for_line(first, "step 30:")
        assert train.main(flags) == 2  # this process is the second trainer
        assert f"another train.py (process {first.pid} on " in capsys.readouterr().err
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 143, err
    assert "SIGTERM: finishing the current steps" in err and "Stopped on SIGTERM at step" in err
    stopped_at = int(err.split("Stopped on SIGTERM at step ")[1].split(";")[0])
    assert stopped_at >= 30
    assert tf.train.latest_checkpoint(str(directory)).endswith(f"ckpt-{stopped_at}")
    assert not [n for n in checkpoint_files(directory) if "temp" in n or n == train_dir.LOCK_NAME]
    assert train.main([*flags[:-2], f"--max_number_of_steps={stopped_at + 10}"]) == 0
    assert f"Resuming from {directory}/ckpt-{stopped_at} at step {stopped_at}" in capsys.readouterr().out


def test_a_signal_while_saving_does_not_interrupt_the_save(capsys):
    with signals.StopSignals() as stop:
        with stop.saving():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # a save in progress: the handler runs, nothing is raised
            finished = True
        assert finished and stop.requested and stop.exit_code == 130
    assert "the checkpoint is being written" in capsys.readouterr().err


def test_a_lock_whose_process_is_gone_is_taken_over(mnist_dir, tmp_path, capsys):
    directory = tmp_path / "lenet"
    directory.mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    lock = {"host": __import__("socket").gethostname(), "pid": int(gone.stdout), "started": time.time() - 60}
    (directory / train_dir.LOCK_NAME).write_text(json.dumps(lock))
    assert train.main(mnist_flags(mnist_dir, directory, "--max_number_of_steps=5")) == 0
    assert f"(process {lock['pid']}) is gone" in capsys.readouterr().out
    assert not (directory / train_dir.LOCK_NAME).exists()


# --- 4: a non-finite loss stops training, and no checkpoint holding it is written ---------------


def test_non_finite_loss_stops_and_keeps_the_finite_checkpoints(mnist_dir, tmp_path, capsys):
    directory = tmp_path / "lenet"
    flags = mnist_flags(mnist_dir, directory, "--log_every_n_steps=5", "--save_interval_secs=0")
    assert train.main([*flags, "--max_number_of_steps=20"]) == 0
    capsys.readouterr()
    assert (
        train.main([*flags, "--max_number_of_steps=200", "--learning_rate=1e30", "--keep_checkpoint_max=2"])
        == 2
    )
    err = capsys.readouterr().err
    assert "the loss became nan at step" in err or "the loss became inf at step" in err
    assert f"The last finite checkpoint, {directory}/ckpt-20, is kept" in err
    assert tf.train.latest_checkpoint(str(directory)).endswith("ckpt-20")
    reader = tf.train.load_checkpoint(str(directory / "ckpt-20"))
    for name in reader.get_variable_to_shape_map():
        value = reader.get_tensor(name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.isfinite(value).all(), name


# --- 5: a resumed run is the run that never stopped, bit for bit ---------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--moving_average_decay=0.99"],  # the model's variables and their averages
        pytest.param(["--mixed_precision=bfloat16"], marks=pytest.mark.bfloat16),
    ],
    ids=["float32_with_ema", "bfloat16"],
)
def test_resuming_a_dropout_net_is_bit_identical(mnist_dir, tmp_path, extra):
    def run(directory, *steps):
        for last in steps:
            assert train.main(mnist_flags(mnist_dir, directory, f"--max_number_of_steps={last}",
                                          "--log_every_n_steps=20", *extra)) == 0  # fmt: skip
        return tf.train.load_checkpoint(str(directory / f"ckpt-{steps[-1]}"))

    # 600 digits at batch 16: resumed mid-epoch, then across the epoch's end.
    whole, resumed = run(tmp_path / "whole", 40), run(tmp_path / "resumed", 20, 40)
    # Every variable (not the run record, which names its own --train_dir, nor the count of saves).
    skip = ("save_counter", "config", "_CHECKPOINTABLE")
    names = [n for n in whole.get_variable_to_shape_map() if not n.startswith(skip)]
    assert any(n.startswith("rng/") for n in names)  # dropout's random state is in the checkpoint
    for name in names:
        np.testing.assert_array_equal(whole.get_tensor(name), resumed.get_tensor(name), err_msg=name)


# --- 6: flags on resume are applied and recorded, or refused by name -----------------------------


def test_changed_flags_on_resume_are_applied_recorded_or_refused(mnist_dir, tmp_path, capsys):
    directory = tmp_path / "lenet"
    flags = mnist_flags(mnist_dir, directory, "--log_every_n_steps=10")
    assert train.main([*flags, "--max_number_of_steps=10"]) == 0
    capsys.readouterr()
    assert train.main([*flags, "--max_number_of_steps=20", "--learning_rate=0", "--momentum=0"]) == 0
    out = capsys.readouterr().out
    assert "changed on resume: --learning_rate: 0.01 -> 0.0" in out and "--momentum: 0.9 -> 0.0" in out
    a, b = (tf.train.load_checkpoint(str(directory / f"ckpt-{n}")) for n in (10, 20))
    kernel = "model/conv1/_kernel/.ATTRIBUTES/VARIABLE_VALUE"
    np.testing.assert_array_equal(a.get_tensor(kernel), b.get_tensor(kernel))  # rate 0, momentum 0: applied
    record = json.loads((directory / "train_config.json").read_text())
    assert record["optimizer"]["learning_rate"] == 0.0
    assert json.loads(b.get_tensor("config/.ATTRIBUTES/VARIABLE_VALUE"))["optimizer"]["learning_rate"] == 0.0
    assert train.main([*flags, "--max_number_of_steps=30", "--optimizer=adam"]) == 2
    err = capsys.readouterr().err
    assert "holds a run with --optimizer=momentum, not adam" in err
    assert f"pass --checkpoint_path={directory} with another --train_dir" in err


# --- 7: one bad image does not sink the others; CMYK JPEGs are read -----------------------------


def test_infer_answers_a_cmyk_jpeg_and_names_the_unreadable_file(lenet_dir, tmp_path, capsys):
    digit = synthetic_digits.draw_digits(np.array([7]), seed=5)[0]
    buffer = io.BytesIO()
    Image.fromarray(np.stack([digit] * 3, -1)).convert("CMYK").save(buffer, "JPEG")
    (tmp_path / "cmyk.jpg").write_bytes(buffer.getvalue())
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "huge.png").write_bytes(_png_header(40_000, 40_000))  # 1.6 GB of pixels in 70 bytes
    good = synthetic_digits.write_sample_pngs(str(tmp_path / "good"), 2, seed=3)
    paths = [good[0][0], str(tmp_path / "broken.png"), str(tmp_path / "cmyk.jpg"), good[1][0]]
    paths.append(str(tmp_path / "huge.png"))
    assert infer.main([f"--checkpoint_path={lenet_dir}", *paths]) == 1
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["path"] for r in results] == paths
    assert "error" in results[1] and "not a PNG, JPEG, GIF or BMP image" in results[1]["error"]
    assert all("predictions" in results[i] for i in (0, 2, 3))
    assert results[4]["error"] == (
        f"cannot read {paths[4]}: the PNG is 40000 x 40000 pixels, more than TensorFlow's decoder "
        "takes (2 GiB of pixels); shrink it"
    )


def _png_header(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\0" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


# --- 8: short and corrupt shards are named before any metric ------------------------------------


@pytest.fixture
def mnist_copy(mnist_dir, tmp_path):
    copy = tmp_path / "mnist"
    shutil.copytree(mnist_dir, copy)
    return copy


def test_a_short_shard_is_named_and_eval_prints_no_metrics(lenet_dir, mnist_copy, capsys):
    shard = converted.shard_filename(str(mnist_copy), "mnist", "test", 0, 1)
    records = list(tf.data.TFRecordDataset(shard).take(150).as_numpy_iterator())  # cut at a record boundary
    with tf.io.TFRecordWriter(shard) as writer:
        for record in records:
            writer.write(record)
    capsys.readouterr()
    assert eval_py.main([f"--checkpoint_path={lenet_dir}", f"--dataset_dir={mnist_copy}"]) == 2
    captured = capsys.readouterr()
    assert captured.out.strip() == ""
    size = os.path.getsize(shard)
    assert f"error: {shard} holds {size} bytes where dataset_info.json records " in captured.err
    # A conversion that recorded no sizes (an older one, another tool's) is read through when small.
    info = json.loads((mnist_copy / "dataset_info.json").read_text())
    del info["splits"]["test"]["shard_bytes"]
    (mnist_copy / "dataset_info.json").write_text(json.dumps(info))
    assert eval_py.main([f"--checkpoint_path={lenet_dir}", f"--dataset_dir={mnist_copy}"]) == 2
    assert f"error: {shard} holds 150 records where dataset_info.json promises 200" in capsys.readouterr().err


def test_training_starts_without_reading_the_data_and_names_a_corrupt_shard(mnist_copy, tmp_path, monkeypatch,
                                                                           capsys):  # fmt: skip
    flags = mnist_flags(mnist_copy, tmp_path / "lenet", "--max_number_of_steps=4", "--log_every_n_steps=2")
    real_verify = converted.verify_split
    monkeypatch.setattr(converted, "verify_split", lambda split: pytest.fail("read every record first"))
    assert train.main(flags) == 0  # sizes compared, no record read before the first step
    monkeypatch.setattr(converted, "verify_split", real_verify)
    shard = converted.shard_filename(str(mnist_copy), "mnist", "train", 0, 1)
    data = bytearray(open(shard, "rb").read())
    data[len(data) // 2 : len(data) // 2 + 8] = b"\xff" * 8  # same size: caught where it is read
    open(shard, "wb").write(bytes(data))
    capsys.readouterr()
    assert train.main([*mnist_flags(mnist_copy, tmp_path / "again", "--max_number_of_steps=4")]) == 2
    assert f"error: {shard}: corrupt record" in capsys.readouterr().err


def test_a_corrupt_record_is_named(lenet_dir, mnist_copy, capsys):
    shard = converted.shard_filename(str(mnist_copy), "mnist", "test", 0, 1)
    data = bytearray(open(shard, "rb").read())
    data[len(data) // 2 : len(data) // 2 + 8] = b"\xff" * 8
    open(shard, "wb").write(bytes(data))
    assert eval_py.main([f"--checkpoint_path={lenet_dir}", f"--dataset_dir={mnist_copy}"]) == 2
    captured = capsys.readouterr()
    assert captured.out.strip() == "" and f"error: {shard}: corrupt record" in captured.err


def _truncate(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)  # what an interrupted copy or sync leaves


def test_a_damaged_latest_checkpoint_is_named_and_training_resumes_from_the_intact_one(
    mnist_dir, tmp_path, capsys
):
    directory = tmp_path / "lenet"
    flags = mnist_flags(mnist_dir, directory, "--log_every_n_steps=5")
    assert train.main([*flags, "--max_number_of_steps=10"]) == 0
    assert train.main([*flags, "--max_number_of_steps=20"]) == 0
    _truncate(directory / "ckpt-20.data-00000-of-00001")
    capsys.readouterr()
    # eval.py and export.py name the damaged one and the one to pass instead; nothing is moved.
    assert eval_py.main([f"--checkpoint_path={directory}", f"--dataset_dir={mnist_dir}"]) == 2
    err = capsys.readouterr().err
    assert f"error: {directory}/ckpt-20 is damaged (Read less bytes than requested)" in err
    assert f"pass --checkpoint_path={directory}/ckpt-10" in err and "Traceback" not in err
    assert infer.main([f"--checkpoint_path={directory}", str(tmp_path / "digit.png")]) == 2
    assert f"{directory}/ckpt-20 is damaged" in capsys.readouterr().err
    # train.py sets it aside, says so, and resumes from step 10.
    assert train.main([*flags, "--max_number_of_steps=30"]) == 0
    captured = capsys.readouterr()
    damaged = f"warning: {directory}/ckpt-20 is damaged (Read less bytes than requested); moved into "
    assert damaged in captured.err
    assert f"Resuming from {directory}/ckpt-10 at step 10" in captured.out
    assert sorted(os.listdir(directory / "damaged")) == ["ckpt-20.data-00000-of-00001", "ckpt-20.index"]
    assert tf.train.latest_checkpoint(str(directory)).endswith("ckpt-30")
    assert eval_py.main([f"--checkpoint_path={directory}", f"--dataset_dir={mnist_dir}"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["step"] == 30
    # A flipped bit is caught by the checkpoint's checksums; with no intact checkpoint left, a message.
    for name in os.listdir(directory):
        if ".data-" in name:
            data = bytearray((directory / name).read_bytes())
            data[len(data) // 2] ^= 0xFF
            (directory / name).write_bytes(bytes(data))
    assert train.main([*flags, "--max_number_of_steps=40"]) == 2
    err = capsys.readouterr().err
    assert f"error: every checkpoint in {directory} is damaged (the newest, {directory}/ckpt-30:" in err
    assert "Checksum does not match" in err and "Traceback" not in err


def test_a_damaged_checkpoint_in_a_relative_train_dir_is_set_aside_and_the_list_stays_readable(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)  # --train_dir=sine, as a user types it
    sine = ["--dataset_name=sine", "--model_name=regression", "--train_dir=sine", "--log_every_n_steps=5"]
    for steps in (5, 10):
        assert train.main([*sine, f"--max_number_of_steps={steps}"]) == 0
    _truncate(tmp_path / "sine" / "ckpt-10.data-00000-of-00001")
    assert train.main([*sine, "--max_number_of_steps=15"]) == 0
    assert "Resuming from sine/ckpt-5 at step 5" in capsys.readouterr().out
    assert train.main([*sine, "--max_number_of_steps=20"]) == 0  # the rewritten list reads back
    assert "Resuming from sine/ckpt-15 at step 15" in capsys.readouterr().out


# --- 9: no advice that destroys other data -----------------------------------------------------------


def test_overwrite_refuses_another_datasets_folder_unless_forced(mnist_copy, tmp_path, capsys):
    source = tmp_path / "images"
    for k in range(2):
        (source / f"c{k}").mkdir(parents=True)
        synthetic_digits.write_png(str(source / f"c{k}" / "0.png"), np.full((8, 8), 50 * k, np.uint8))
    flags = [
        "--dataset_name=pets",
        f"--source_dir={source}",
        f"--dataset_dir={mnist_copy}",
        "--validation_fraction=0",
    ]
    assert download_and_convert_data.main([*flags, "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "holds another converted dataset, 'mnist'" in err and "--overwrite" not in err
    assert mnist.get_split("train", str(mnist_copy)).num_samples == 600  # untouched
    assert download_and_convert_data.main([*flags, "--overwrite", "--force"]) == 0
    assert not [n for n in os.listdir(mnist_copy) if n.startswith("mnist_")]


# --- 10: bad flags and file systems are messages, and leftovers are cleaned ------------------------


@pytest.mark.parametrize(
    ("flag", "message"),
    [("--batch_size=0", "expected a positive integer, got '0'"),
     ("--batch_size=-3", "expected a positive integer"),
     ("--max_number_of_steps=0", "expected a positive integer"),
     ("--max_number_of_steps=-5", "expected a positive"),
     ("--learning_rate=nan", "expected a finite number >= 0"),
     ("--learning_rate=inf", "a finite number >= 0"),
     # No abbreviation is taken for another flag; a typo gets the nearest flag.
     ("--log_every=5", "arguments: --log_every=5 (did you mean: --log_every -> --log_every_n_steps?)"),
     ("--datset_dir=/tmp", "(did you mean: --datset_dir -> --dataset_dir?)"),
     # TF-Slim's flags whose meaning cannot be kept say what does their job (tuning ones: test_first_hour).
     ("--master=grpc://chief:2222", "--master is TF-Slim's: workers come from TF_CONFIG"),
     ("--ignore_missing_vars=maybe", "--ignore_missing_vars: expected true or false, got 'maybe'")],
)  # fmt: skip
def test_bad_flag_values_are_refused_at_parse_time(flag, message, capsys):
    with pytest.raises(SystemExit) as exited:
        train.main(["--dataset_name=sine", "--model_name=regression", flag])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and message in err
    assert len(err.splitlines()) == 1 and "--help lists the flags" in err  # one line, not the usage


def test_switches_take_absls_forms_and_the_last_word_wins(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("ignore_missing_vars: true\n")

    def switch(*given):
        return train_flags.parse(None, ["--dataset_name=sine", *given]).ignore_missing_vars

    assert switch("--ignore_missing_vars=True") is True and switch("--ignore_missing_vars=false") is False
    assert switch(f"--config={config}") is True
    assert switch(f"--config={config}", "--noignore_missing_vars") is False
    assert switch("--noignore_missing_vars", "--ignore_missing_vars") is True


def test_help_shows_each_default(capsys):
    with pytest.raises(SystemExit):
        train.main(["--help"])
    options = capsys.readouterr().out.split("\noptions:", 1)[1]
    helps = {block.split()[0]: " ".join(block.split()) for block in re.split(r"\n  (?=-)", options)[1:]}
    for flag, default in (("--batch_size", 32), ("--seed", 0), ("--model_name", "lenet"),
                          ("--log_every_n_steps", 10), ("--keep_checkpoint_max", 5)):  # fmt: skip
        assert f"Default: {default}." in helps[flag], helps[flag]


def test_clones_without_gpus_and_a_file_as_train_dir_are_messages(tmp_path, capsys):
    sine = ["--dataset_name=sine", "--model_name=regression", "--max_number_of_steps=1"]
    assert train.main([*sine, f"--train_dir={tmp_path}/a", "--num_clones=3"]) == 2
    assert (
        "--num_clones=3 needs 3 GPUs and this machine has none; pass --clone_on_cpu"
        in capsys.readouterr().err
    )
    (tmp_path / "file").write_text("x")
    assert train.main([*sine, f"--train_dir={tmp_path}/file"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert train.main([*sine, f"--train_dir={tmp_path}/file/sub"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_a_failed_save_leaves_no_partial_files_and_leftovers_are_removed(tmp_path, monkeypatch, capsys):
    directory = tmp_path / "sine"
    sine = [
        "--dataset_name=sine",
        "--model_name=regression",
        f"--train_dir={directory}",
        "--log_every_n_steps=5",
    ]
    assert train.main([*sine, "--max_number_of_steps=5"]) == 0
    real_save = tf.train.CheckpointManager.save

    def full_disk(self, checkpoint_number=None, **kwargs):
        os.makedirs(os.path.join(self.directory, f"ckpt-{checkpoint_number}_temp"))
        open(os.path.join(self.directory, f"ckpt-{checkpoint_number}.index"), "w").write("half")
        node = "{" * 2 + "function_node __wrapped__SaveV2_dtypes_27_device_/job:localhost/CPU:0" + "}" * 2
        raise tf.errors.ResourceExhaustedError(None, None, (  # as TensorFlow words it
            f"{node} {self.directory}/ckpt-{checkpoint_number}_temp/part-00000-of-00001.tempstate1; "
            "No space left on device [Op:SaveV2]"))  # fmt: skip

    monkeypatch.setattr(tf.train.CheckpointManager, "save", full_disk)
    capsys.readouterr()
    assert train.main([*sine, "--max_number_of_steps=10"]) == 2
    err = capsys.readouterr().err
    cause = f"error: no space left on the device: could not write checkpoint {directory}/ckpt-10;"
    assert err.startswith(cause)
    assert f"{directory}/ckpt-5 is the latest checkpoint, intact" in err and "function_node" not in err
    assert not [n for n in os.listdir(directory) if n.startswith("ckpt-10")]
    monkeypatch.setattr(tf.train.CheckpointManager, "save", real_save)
    (directory / "ckpt-7_temp").mkdir()  # what a killed process leaves
    (directory / "train_config.json.incomplete").write_text("{")
    assert train.main([*sine, "--max_number_of_steps=10"]) == 0
    out = capsys.readouterr().out
    assert "Removed" in out and "ckpt-7_temp" in out
    assert not [n for n in os.listdir(directory) if "temp" in n or n.endswith(".incomplete")]


def test_the_last_step_is_saved_once(tmp_path, monkeypatch):
    """Saving the last step again (interval due, then the final save) rewrote a checkpoint that an eval.py
    --wait_for_checkpoints beside it was reading."""
    saved, real_save = [], train_dir.save
    monkeypatch.setattr(train_dir, "save", lambda m, step: saved.append(step) or real_save(m, step))
    flags = ["--dataset_name=sine", "--model_name=regression", f"--train_dir={tmp_path}",
             "--log_every_n_steps=5", "--save_interval_secs=0", "--max_number_of_steps=10"]  # fmt: skip
    assert train.main(flags) == 0
    assert saved == [5, 10]


def test_the_readme_states_the_resume_rules_that_run_config_keeps():
    from deployment import run_config

    readme = " ".join(open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read().split())
    fixed, changeable = readme.split("**Resuming.**", 1)[1].split("may change", 1)[0].split("are fixed", 1)
    fixed_words = {
        "model_name": "net",
        "dataset_name": "dataset",
        "dataset_split_name": "split",
        "task": "dataset",
        "num_classes": "classes",
        "labels_to_names": "classes",
        "image_size": "image size",
        "preprocessing_name": "preprocessing",
        "seed": "seed",
        "mixed_precision": "mixed precision",
        "trainable_scopes": "trainable scopes",
    }
    changeable_words = {"weight_decay": "weight", "batch_norm_decay": "batch-norm decay",
                        "moving_average_decay": "moving average's decay", "batch_size": "batch size",
                        "dataset_dir": "dataset's folder", "random_flip": "random flips"}  # fmt: skip
    assert set(fixed_words) == set(run_config.FIXED_ON_RESUME)
    assert set(changeable_words) == set(run_config.CHANGEABLE_ON_RESUME)
    assert [f for f, w in fixed_words.items() if w not in fixed] == []
    assert [f for f, w in changeable_words.items() if w not in changeable] == []
