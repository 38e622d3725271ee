"""Tasks as classes with named methods: a task defined here goes through the unchanged entry points;
checkpoints and their exports answer alike for every task."""

import json
import types

import numpy as np
import pytest
import tensorflow as tf
from tensorflow import keras

import eval as eval_py
import export
import infer
import train
from datasets import dataset_factory, synthetic_digits
from datasets.splits import DatasetSplit
from nets import nets_factory
from nets.net_spec import NetSpec
from tasks import tasks_factory
from tasks.task import Task, TaskOption

# --- A toy task: is the image bright? One logit, logistic loss, a hit rate. ------------------


class _Metrics:
    def __init__(self):
        self.hits = self.count = 0

    def batch(self, labels, outputs):
        hits = tf.equal(tf.cast(outputs[:, 0] > 0, tf.int64), labels)
        return {"hits": tf.reduce_sum(tf.cast(hits, tf.int64)), "count": tf.size(labels)}

    def update(self, reduced):
        self.hits += int(reduced["hits"])
        self.count += int(reduced["count"])

    def result(self, eval_dir, step):
        return {"hit_rate": self.hits / self.count}


class Brightness(Task):
    """A task written as a user would write ``tasks/<name>.py``: the named methods filled in."""

    name = "toy_brightness"
    better = {"hit_rate": True, "loss": False}
    best_metric = "hit_rate"
    options = (TaskOption("positive_weight", float, 1.0, "Weight of bright examples in the loss."),)

    def train_example(self, *, image, label, preprocess, seed):
        return preprocess(image, seed=seed), label

    def eval_example(self, *, image, label, preprocess):
        return preprocess(image), label

    def loss(self, *, targets, outputs, training):
        logits = tf.cast(outputs[:, 0], tf.float32)
        weight = self.settings["positive_weight"]
        return tf.nn.weighted_cross_entropy_with_logits(tf.cast(targets, tf.float32), logits, weight)

    def metrics(self):
        return _Metrics()

    def serve(self, *, outputs, top_k):
        return {"brightness": tf.sigmoid(tf.cast(outputs[:, 0], tf.float32))}

    def format_result(self, *, row, request):
        return {"bright": bool(row["brightness"] > 0.5)}

    def csv_header(self, *, top_k):
        return ["bright"]

    def csv_rows(self, *, result):
        return [[result["bright"]]]


def test_a_task_must_fill_in_every_named_method():
    class Half(Task):
        name = "half"

        def loss(self, *, targets, outputs, training):
            return outputs

    with pytest.raises(TypeError, match="abstract method"):
        Half(num_classes=1, labels_to_names={})


class ToyNet(keras.Model):
    def __init__(self, num_classes=1, weight_decay=0.0, name="ToyNet"):
        super().__init__(name=name)
        self.pool = keras.layers.GlobalAveragePooling2D(name="pool")
        self.logit = keras.layers.Dense(1, name="Logits")

    def call(self, images, training=False):
        pooled = self.pool(images)
        return self.logit(pooled), {"pool": pooled}


def _toy_split(split_name, dataset_dir=None):
    rng = np.random.default_rng({"train": 0, "test": 1}[split_name])
    levels = rng.uniform(0, 255, size=64)
    images = (levels[:, None, None, None] + rng.normal(0, 10, (64, 8, 8, 1))).clip(0, 255).astype(np.uint8)
    labels = (levels > 128).astype(np.int64)
    return DatasetSplit(
        dataset_name="toy_images",
        split_name=split_name,
        num_samples=64,
        task="toy_brightness",
        num_classes=1,
        labels_to_names={},
        image_shape=(8, 8, 1),
        records=lambda: tf.data.Dataset.from_tensor_slices((images, labels)),
        decode=lambda x, y: (x, y),
    )


@pytest.fixture
def toy_registered(monkeypatch):
    monkeypatch.setitem(tasks_factory.tasks_map(), "toy_brightness", Brightness)
    monkeypatch.setitem(
        dataset_factory.datasets_map(), "toy_images", types.SimpleNamespace(get_split=_toy_split)
    )
    spec = NetSpec(ToyNet, 8, "lenet", "toy_brightness", {"optimizer": "adam", "learning_rate": 0.05})
    monkeypatch.setitem(nets_factory.networks_map(), "toy_net", spec)


def test_a_task_registered_at_run_time_trains_evaluates_infers_and_exports(toy_registered, tmp_path, capsys):
    train_dir = tmp_path / "toy"
    assert train.main([
        "--dataset_name=toy_images", "--model_name=toy_net", f"--train_dir={train_dir}",
        "--max_number_of_steps=150", "--batch_size=16", "--log_every_n_steps=50", "--positive_weight=2",
    ]) == 0  # fmt: skip
    record = json.loads((train_dir / "train_config.json").read_text())
    assert record["task"] == "toy_brightness" and record["task_options"] == {"positive_weight": 2.0}

    capsys.readouterr()
    assert eval_py.main([f"--checkpoint_path={train_dir}"]) == 0
    metrics = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert metrics["hit_rate"] > 0.9 and metrics["num_examples"] == 64 and metrics["step"] == 150

    dark, bright = tmp_path / "dark.png", tmp_path / "bright.png"
    synthetic_digits.write_png(str(dark), np.full((20, 20), 10, np.uint8))
    synthetic_digits.write_png(str(bright), np.full((20, 20), 240, np.uint8))
    assert infer.main([f"--checkpoint_path={train_dir}", str(dark), str(bright)]) == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["bright"] for a in answers] == [False, True]

    exported = tmp_path / "exported"
    assert export.main([f"--checkpoint_path={train_dir}", f"--output_dir={exported}"]) == 0
    capsys.readouterr()
    assert infer.main([f"--saved_model_dir={exported}", str(dark), str(bright)]) == 0
    assert [json.loads(line)["bright"] for line in capsys.readouterr().out.splitlines()] == [False, True]


# --- One serving path: a checkpoint and its export answer alike --------------------------------


def _infer(capsys, *flags):
    capsys.readouterr()
    assert infer.main(list(flags)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_classifier_checkpoint_and_export_agree(lenet_dir, tmp_path, capsys):
    exported = tmp_path / "lenet"
    assert export.main([f"--checkpoint_path={lenet_dir}", f"--output_dir={exported}"]) == 0
    pngs = [p for p, _ in synthetic_digits.write_sample_pngs(str(tmp_path), 8, seed=21)]
    from_checkpoint = _infer(capsys, f"--checkpoint_path={lenet_dir}", "--top_k=3", *pngs)
    from_export = _infer(capsys, f"--saved_model_dir={exported}", "--top_k=3", *pngs)
    for a, b in zip(from_checkpoint, from_export, strict=True):
        assert [p["class_id"] for p in a["predictions"]] == [p["class_id"] for p in b["predictions"]]
        np.testing.assert_allclose(
            [p["score"] for p in a["predictions"]], [p["score"] for p in b["predictions"]], atol=1e-6
        )


def test_regressor_checkpoint_and_export_agree(tmp_path, capsys):
    train_dir, exported = tmp_path / "sine", tmp_path / "sine_export"
    assert train.main([
        "--dataset_name=sine", "--model_name=regression", f"--train_dir={train_dir}",
        "--max_number_of_steps=300", "--log_every_n_steps=100",
    ]) == 0  # fmt: skip
    assert export.main([f"--checkpoint_path={train_dir}", f"--output_dir={exported}"]) == 0
    xs = ["0.5", "1.57", "4.71", "9.0"]
    from_checkpoint = _infer(capsys, f"--checkpoint_path={train_dir}", *xs)
    from_export = _infer(capsys, f"--saved_model_dir={exported}", *xs)
    assert [a["path"] for a in from_checkpoint] == xs
    np.testing.assert_allclose(
        [a["predictions"][0] for a in from_checkpoint], [a["predictions"][0] for a in from_export], atol=1e-6
    )
    # sin(x) + 5, learned: high at pi/2, low at 3 pi/2.
    assert from_checkpoint[1]["predictions"][0] > from_checkpoint[2]["predictions"][0] + 0.5
