"""train.py, eval.py, infer.py and download_and_convert_data.py, called in-process."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

import download_and_convert_data
import eval as eval_py
import infer
import train
from datasets import synthetic_digits
from deployment import assembly, checkpointing


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.learning
def test_sine_loss_falls_and_training_resumes(tmp_path, capsys, train_seed):
    train_dir = str(tmp_path / "sine")
    common = [
        f"--seed={train_seed}",
        "--dataset_name=sine",
        "--model_name=regression",
        f"--train_dir={train_dir}",
        "--log_every_n_steps=50",
    ]
    assert train.main([*common, "--max_number_of_steps=50"]) == 0
    capsys.readouterr()
    assert eval_py.main([f"--checkpoint_path={train_dir}"]) == 0
    early = last_json(capsys)

    assert train.main([*common, "--max_number_of_steps=800"]) == 0
    out = capsys.readouterr().out
    assert f"Resuming from {train_dir}/ckpt-50 at step 50" in out
    assert out.startswith("Devices: CPU:0") and "training on 1 replica(s)" in out.splitlines()[0]
    assert "step 100:" in out and "step 50:" not in out
    assert eval_py.main([f"--checkpoint_path={train_dir}"]) == 0
    late = last_json(capsys)

    assert (early["step"], late["step"]) == (50, 800)
    assert late["mse"] < 0.5 * early["mse"]
    assert late["mse"] < 0.3
    # The input position carried on as well: 800 steps of 32 examples.
    reader = tf.train.load_checkpoint(f"{train_dir}/ckpt-800")
    assert reader.get_tensor("examples_seen/.ATTRIBUTES/VARIABLE_VALUE") == 800 * 32


def test_finished_run_is_not_trained_again(tmp_path, capsys):
    train_dir = str(tmp_path / "sine")
    args = [
        "--dataset_name=sine",
        "--model_name=regression",
        f"--train_dir={train_dir}",
        "--max_number_of_steps=10",
    ]
    assert train.main(args) == 0
    assert train.main(args) == 0
    assert "already at step 10" in capsys.readouterr().out


@pytest.mark.learning
def test_lenet_learns_the_digits(lenet_dir, capsys):
    capsys.readouterr()
    assert eval_py.main([f"--checkpoint_path={lenet_dir}"]) == 0
    metrics = last_json(capsys)
    assert metrics["step"] == 150 and metrics["num_examples"] == 200 and metrics["split"] == "test"
    assert metrics["accuracy"] > 0.6  # chance is 0.1
    assert metrics["recall_at_5"] >= metrics["accuracy"]
    config = json.load(open(f"{lenet_dir}/train_config.json"))
    assert config["labels_to_names"]["3"] == "three" and config["optimizer"]["optimizer"] == "momentum"


def test_infer_classifies_pngs_and_reports_bad_files(lenet_dir, tmp_path, capsys):
    pngs = synthetic_digits.write_sample_pngs(str(tmp_path), 10, seed=11)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    # A large RGB JPEG: infer.py must convert it to the net's 28x28x1.
    big = np.repeat(synthetic_digits.draw_digits(np.array([4]), seed=2)[0][..., None], 3, axis=-1)
    big = tf.cast(tf.image.resize(big, [140, 100]), tf.uint8)
    tf.io.write_file(str(tmp_path / "four.jpg"), tf.io.encode_jpeg(big))
    paths = [p for p, _ in pngs] + [str(tmp_path / "broken.png"), str(tmp_path / "four.jpg")]
    capsys.readouterr()
    assert infer.main([f"--checkpoint_path={lenet_dir}", "--top_k=3", *paths]) == 1
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["path"] for r in results] == paths
    predicted = [r["predictions"][0]["class_id"] for r in results[:10]]
    hits = sum(p == label for p, (_, label) in zip(predicted, pngs, strict=True))
    assert hits >= 6
    top = results[0]["predictions"]
    assert len(top) == 3 and top[0]["label"] in {
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
    }
    assert top[0]["score"] >= top[1]["score"] >= top[2]["score"]
    assert results[10]["error"].endswith("not a PNG, JPEG, GIF or BMP image")  # not TF's list of formats
    assert len(results[11]["predictions"]) == 3


def test_eval_refuses_flags_that_contradict_the_checkpoint(lenet_dir, capsys):
    assert eval_py.main([f"--checkpoint_path={lenet_dir}", "--model_name=regression"]) == 2
    assert "was trained with --model_name=lenet" in capsys.readouterr().err


def test_checkpoint_of_another_shape_is_refused_clearly(lenet_dir):
    path = checkpointing.resolve_checkpoint(lenet_dir)
    config = dataclasses.replace(checkpointing.read_config(path), num_classes=5)
    net = assembly.build_net(config)
    with pytest.raises(checkpointing.CheckpointError, match="does not match net 'lenet' with 5 outputs"):
        checkpointing.restore(tf.train.Checkpoint(model=net), path, config, partial=True)


def test_train_dir_of_another_run_is_refused(lenet_dir, mnist_dir, capsys):
    assert (
        train.main(
            [
                "--dataset_name=sine",
                "--model_name=regression",
                f"--train_dir={lenet_dir}",
                "--max_number_of_steps=90",
            ]
        )
        == 2
    )
    assert "holds a run with --model_name=lenet, not regression" in capsys.readouterr().err


def test_user_errors_get_a_message_and_exit_status_2(tmp_path, capsys):
    assert train.main(["--dataset_name=mnist", f"--dataset_dir={tmp_path}", "--max_number_of_steps=1"]) == 2
    assert "`python download_and_convert_data.py --dataset_name=mnist" in capsys.readouterr().err
    assert train.main(["--dataset_name=sine", "--model_name=lenet", f"--train_dir={tmp_path}/x"]) == 2
    assert "net 'lenet' does classification but dataset 'sine' is regression" in capsys.readouterr().err
    assert eval_py.main([f"--checkpoint_path={tmp_path}"]) == 2
    assert f"no checkpoint in {tmp_path}" in capsys.readouterr().err
    assert (
        download_and_convert_data.main(
            [
                "--dataset_name=mnist",
                f"--dataset_dir={tmp_path}/out",
                f"--source_dir={tmp_path}",
            ]
        )
        == 2
    )
    assert "must hold the four MNIST files" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train.main(["--model_name=resnet_v9"])
    err = capsys.readouterr().err
    assert "invalid choice: 'resnet_v9' (choose from " in err and "'lenet'" in err and "'resnet_v1_50'" in err


def test_the_progress_line_counts_global_steps_and_shows_the_speed(monkeypatch, capsys):
    from cli import progress

    monkeypatch.setattr(progress, "on_terminal", lambda: True)
    bar = progress.TrainingProgress(first_step=100, max_steps=200)  # a run resumed at step 100
    bar.update(110, 2.18904, 365.586, {"accuracy": 0.9})
    drawn = capsys.readouterr().out
    assert drawn.startswith("\rstep 110/200  [" + "=" * 11 + "." * 9 + "]  366 examples/s  loss 2.1890")
    assert "accuracy 0.9000" in drawn and " left" in drawn and "10.0000" not in drawn
    bar.update(200, 0.5, 400.0)
    assert "step 200/200  [" + "=" * 20 + "]" in capsys.readouterr().out
