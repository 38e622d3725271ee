"""Evaluation beyond one checkpoint, inference from files/dirs/globs, and export for serving."""

import base64
import csv
import functools
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import eval as eval_py
import export
import infer
from datasets import input_pipeline, mnist, synthetic_digits
from metrics import confusion_matrix
from preprocessing import preprocessing_factory
from serving import endpoints

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def exported(lenet_dir, tmp_path_factory):
    output = str(tmp_path_factory.mktemp("export") / "lenet")
    assert export.main([f"--checkpoint_path={lenet_dir}", f"--output_dir={output}", "--quantize"]) == 0
    return os.path.join(output, "1")  # the first version, a SavedModel folder


def test_confusion_matrix_metrics():
    matrix = np.array([[3, 1, 0], [0, 2, 0], [1, 0, 0]])
    got = confusion_matrix.metrics(matrix, ["a", "b", "c"])
    assert got["accuracy"] == pytest.approx(5 / 7)
    assert got["per_class"]["a"] == {"precision": 0.75, "recall": 0.75, "support": 4}
    assert got["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert got["per_class"]["c"] == {"precision": None, "recall": 0.0, "support": 1}


def test_eval_reports_per_class_metrics_and_draws_the_matrix(lenet_dir, tmp_path, capsys):
    assert eval_py.main([f"--checkpoint_path={lenet_dir}", f"--eval_dir={tmp_path}"]) == 0
    metrics = json.loads(capsys.readouterr().out.splitlines()[-1])
    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == metrics["num_examples"] == 200
    assert metrics["accuracy"] == pytest.approx(np.trace(matrix) / 200)
    assert set(metrics["per_class"]) == set(mnist.CLASS_NAMES)
    picture = tf.io.decode_png(tf.io.read_file(metrics["confusion_matrix_png"]))
    assert metrics["confusion_matrix_png"] == str(tmp_path / "confusion_matrix-150.png")
    assert picture.shape[0] == picture.shape[1] > 10 * confusion_matrix.CELL
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(tmp_path))


def test_eval_waits_for_each_checkpoint_and_stops_when_training_ends(mnist_dir, tmp_path, capsys):
    train_dir = tmp_path / "lenet"
    trainer = subprocess.Popen(
        [
            sys.executable,
            "train.py",
            "--dataset_name=mnist",
            f"--dataset_dir={mnist_dir}",
            f"--train_dir={train_dir}",
            "--max_number_of_steps=50",
            "--log_every_n_steps=10",
            "--save_interval_secs=0.3",
            "--keep_checkpoint_max=2",
        ],
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        train_dir.mkdir(exist_ok=True)
        code = eval_py.main(
            [
                f"--checkpoint_path={train_dir}",
                "--wait_for_checkpoints",
                "--eval_interval_secs=0.1",
                "--timeout=120",
            ]
        )
    finally:
        trainer.wait(timeout=120)
    assert trainer.returncode == 0, trainer.stderr.read()
    assert code == 0
    steps = [json.loads(line)["step"] for line in capsys.readouterr().out.splitlines()]
    assert steps == sorted(set(steps)), "each checkpoint once, in order"
    assert steps[-1] == 50 and len(steps) >= 2


def test_eval_survives_a_checkpoint_deleted_under_it_and_times_out(lenet_dir, tmp_path, capsys):
    copy = tmp_path / "ckpt"
    shutil.copytree(lenet_dir, copy)
    for name in os.listdir(copy):
        if name.startswith("ckpt-150.data"):
            os.remove(copy / name)
    code = eval_py.main(
        [
            f"--checkpoint_path={copy}",
            "--wait_for_checkpoints",
            "--eval_interval_secs=0.1",
            "--timeout=0.5",
        ]
    )
    err = capsys.readouterr().err
    assert f"skipped {copy}/ckpt-150" in err and "No new checkpoint" in err
    assert code == 2  # nothing could be evaluated


def test_infer_takes_directories_and_globs_and_writes_csv(lenet_dir, tmp_path, capsys):
    pngs = synthetic_digits.write_sample_pngs(str(tmp_path / "a" / "b"), 5, seed=4)
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    code = infer.main(
        [
            f"--checkpoint_path={lenet_dir}",
            "--output_format=csv",
            "--top_k=2",
            "--batch_size=2",
            str(tmp_path / "a"),
            str(tmp_path / "a" / "b" / "digit0_*.png"),
            str(tmp_path / "missing.png"),
        ]
    )
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == [
        "path",
        "error",
        "class_id_1",
        "label_1",
        "score_1",
        "class_id_2",
        "label_2",
        "score_2",
    ]
    assert [r[0] for r in rows[1:]] == [p for p, _ in pngs] + [pngs[0][0], str(tmp_path / "missing.png")]
    assert "file not found" in rows[-1][1] and code == 1


def test_infer_refuses_an_empty_folder_and_a_pattern_matching_nothing(lenet_dir, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert infer.main([f"--checkpoint_path={lenet_dir}", str(tmp_path / "empty")]) == 2
    assert "holds no image" in capsys.readouterr().err
    assert infer.main([f"--checkpoint_path={lenet_dir}", str(tmp_path / "nothing_*.png")]) == 2
    assert f"no file matches {tmp_path / 'nothing_*.png'}" in capsys.readouterr().err


def test_saved_model_in_a_bare_process_agrees_with_infer(exported, lenet_dir, tmp_path, capsys):
    pngs = [p for p, _ in synthetic_digits.write_sample_pngs(str(tmp_path), 6, seed=9)]
    assert infer.main([f"--checkpoint_path={lenet_dir}", "--top_k=3", *pngs]) == 0
    expected = [json.loads(line)["predictions"] for line in capsys.readouterr().out.splitlines()]
    # -I: no project code on the path, only TensorFlow.
    script = (
        "import json, sys, tensorflow as tf\n"
        "serve = tf.saved_model.load(sys.argv[1]).signatures['serving_default']\n"
        "out = serve(images=tf.constant([open(p, 'rb').read() for p in sys.argv[2:]]))\n"
        "print(json.dumps({k: v.numpy().tolist() for k, v in out.items() if k != 'labels'}))\n"
        "print(json.dumps(out['labels'].numpy().astype(str).tolist()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script, exported, *pngs], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    served, labels = (json.loads(line) for line in result.stdout.splitlines()[-2:])
    for i, predictions in enumerate(expected):
        assert served["class_ids"][i][:3] == [p["class_id"] for p in predictions]
        assert labels[i][:3] == [p["label"] for p in predictions]
        np.testing.assert_allclose(served["scores"][i][:3], [p["score"] for p in predictions], atol=1e-5)
    assert infer.main([f"--saved_model_dir={exported}", "--top_k=3", *pngs]) == 0
    assert [
        json.loads(line)["predictions"][0]["class_id"] for line in capsys.readouterr().out.splitlines()
    ] == [p[0]["class_id"] for p in expected]


def _tflite_probabilities(path, images):
    interpreter = tf.lite.Interpreter(model_path=path)
    runner = interpreter.get_signature_runner("serving_preprocessed")
    return np.concatenate([runner(images=image[np.newaxis])["probabilities"] for image in images])


def test_tflite_float_agrees_and_int8_stays_close(exported, lenet_dir, mnist_dir):
    split = mnist.get_split("test", mnist_dir)
    preprocess = functools.partial(
        preprocessing_factory.get_preprocessing("lenet"), output_height=28, output_width=28
    )
    images, labels = next(iter(input_pipeline.eval_dataset(split, lambda x, y: (preprocess(x), y), 200)))
    serve = tf.saved_model.load(exported).signatures["serving_preprocessed"]
    reference = serve(images=images)["probabilities"].numpy()
    float_probs = _tflite_probabilities(os.path.join(exported, "model.tflite"), images.numpy())
    np.testing.assert_allclose(float_probs, reference, atol=1e-4)
    int8_probs = _tflite_probabilities(os.path.join(exported, "model_int8.tflite"), images.numpy())
    accuracy = np.mean(reference.argmax(1) == labels.numpy())
    int8_accuracy = np.mean(int8_probs.argmax(1) == labels.numpy())
    assert accuracy - int8_accuracy <= 0.02  # the stated bound for post-training int8
    assert os.path.getsize(os.path.join(exported, "model_int8.tflite")) < 0.4 * os.path.getsize(
        os.path.join(exported, "model.tflite")
    )


def test_export_refuses_to_overwrite_and_leaves_nothing_half_written(exported, lenet_dir, capsys):
    model = os.path.dirname(exported)
    assert export.main([f"--checkpoint_path={lenet_dir}", f"--output_dir={model}", "--model_version=1"]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert not os.path.exists(exported + ".incomplete")


def test_each_export_is_a_new_version_as_tf_serving_loads_them(exported, lenet_dir, tmp_path, capsys):
    model = tmp_path / "lenet"
    shutil.copytree(os.path.dirname(exported), model)  # version 1
    capsys.readouterr()
    assert export.main([f"--checkpoint_path={lenet_dir}", f"--output_dir={model}"]) == 0
    assert json.loads(capsys.readouterr().out)["saved_model"] == str(model / "2")
    assert sorted(os.listdir(model)) == ["1", "2"]
    assert endpoints.newest_version(str(model)) == str(model / "2")
    assert endpoints.newest_version(exported) == exported  # a version's own folder is taken as it is


def test_a_damaged_export_is_named_with_what_to_do(exported, tmp_path, capsys):
    copy = tmp_path / "export"
    shutil.copytree(exported, copy)
    data = copy / "variables" / "variables.data-00000-of-00001"
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)  # an interrupted copy
    image = synthetic_digits.write_sample_pngs(str(tmp_path / "digits"), 1, seed=1)[0][0]
    assert infer.main([f"--saved_model_dir={copy}", image]) == 2
    err = capsys.readouterr().err
    assert f"error: {copy} is not a SavedModel export.py wrote, or is damaged (" in err
    assert "export the model again" in err and "Traceback" not in err
    (copy / "export_config.json").write_text('{"run": ')
    assert infer.main([f"--saved_model_dir={copy}", image]) == 2
    assert f"{copy}/export_config.json is damaged" in capsys.readouterr().err


def test_the_readmes_rest_request_is_answered_as_tf_serving_loads_the_export(exported, tmp_path, capsys):
    model = os.path.dirname(exported)
    (png, label), *_ = synthetic_digits.write_sample_pngs(str(tmp_path / "digits"), 1, seed=4)
    request = json.dumps({"instances": [{"b64": base64.b64encode(open(png, "rb").read()).decode()}]})
    # TF Serving: the highest numbered version under the model's base path, its serving_default; in the
    # row format each instance is the signature's one input, a {"b64": ...} value decoded to bytes.
    version = max(int(name) for name in os.listdir(model) if name.isdigit())
    signature = tf.saved_model.load(os.path.join(model, str(version))).signatures["serving_default"]
    (name,) = signature.structured_input_signature[1]
    images = [base64.b64decode(instance["b64"]) for instance in json.loads(request)["instances"]]
    served = signature(**{name: tf.constant(images)})
    assert set(served) == {"probabilities", "class_ids", "labels", "scores"}
    assert infer.main([f"--saved_model_dir={model}", "--top_k=1", png]) == 0
    answer = json.loads(capsys.readouterr().out.splitlines()[-1])["predictions"][0]
    assert int(served["class_ids"][0][0]) == answer["class_id"] == label  # the digit, as infer.py says
