"""A user's first hour with their own data: a dataset module written by hand, checkpoint files as a
shell completes them, the default split of eval, what a refused run leaves, the answers' columns."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
from test_image_folder import make_tree

import eval as eval_py
import infer
import train
import train_flags
import view_dataset
from datasets import converted, dataset_factory, example_codec, image_folder, synthetic_digits
from datasets.splits import DatasetError
from deployment import checkpointing
from nets import nets_factory


@pytest.fixture(scope="module")
def pets_run(tmp_path_factory):
    """LeNet trained 10 steps on three classes of class folders (splits train and validation only),
    validated by recall@3, the recall over every class there is."""
    root = tmp_path_factory.mktemp("pets")
    data = str(root / "data")
    image_folder.convert("pets", make_tree(root / "images"), data, validation_fraction=0.2)
    assert train.main([
        "--dataset_name=pets", f"--dataset_dir={data}", f"--train_dir={root / 'run'}", "--model_name=lenet",
        "--max_number_of_steps=10", "--batch_size=8", "--eval_every_n_steps=10", "--keep_best_by=recall_at_3",
    ]) == 0  # fmt: skip
    return root / "run"


def test_a_module_that_writes_its_own_records_is_told_what_the_info_lacks(tmp_path):
    data = str(tmp_path / "data")
    images = synthetic_digits.draw_digits(np.array([0, 1, 1]), seed=0)[..., None]
    writer = converted.DatasetWriter(data, "leaves")
    writer.write_split("train", example_codec.png_examples(images, [0, 1, 1]), 1)
    with pytest.raises(DatasetError, match=r"needs info\['image_shape'\], e\.g\. \{'image_shape': \[height"):
        writer.finish({0: "oak", 1: "elm"}, {})
    assert not os.path.exists(os.path.join(data, converted.INFO_FILENAME))  # nothing looks finished
    info = writer.finish({0: "oak", 1: "elm"}, {"image_shape": [28, 28, 1]})
    assert info["num_classes"] == 2  # from the labels when not given
    split = converted.read_split("leaves", "train", data)
    assert split.num_samples == 3 and split.labels_to_names == {0: "oak", 1: "elm"}


def test_a_wrong_dataset_dir_says_it_may_be_mistyped_and_how_to_convert(tmp_path):
    with pytest.raises(DatasetError) as missing:
        dataset_factory.get_dataset("mnist", "train", str(tmp_path / "mnits"))
    assert f"--dataset_dir {tmp_path / 'mnits'} does not exist: check the path for a typo" in str(
        missing.value
    )
    with pytest.raises(DatasetError) as empty:
        dataset_factory.get_dataset("mnist", "train", str(tmp_path))
    message = str(empty.value)
    assert "does not hold a converted 'mnist' dataset" in message and "Check the path" in message
    assert (
        "--source_dir=FOLDER where the raw data is yours" in message
    )  # what a dataset without a download needs


def test_eval_without_a_split_takes_the_held_out_split_the_conversion_made(pets_run, capsys):
    assert eval_py.main([f"--checkpoint_path={pets_run}"]) == 0
    metrics = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert metrics["split"] == "validation" and metrics["num_examples"] == 6  # class folders make no test
    assert "recall_at_3" in metrics and "recall_at_5" not in metrics
    assert os.path.isdir(pets_run / "eval_validation")
    best = json.loads((pets_run / "best" / "best.json").read_text())
    assert best["metric"] == "recall_at_3"  # --keep_best_by takes the name eval reports


def test_any_file_of_a_checkpoint_means_that_checkpoint(pets_run, tmp_path, capsys):
    prefix = str(pets_run / "ckpt-10")
    for name in ("ckpt-10.index", "ckpt-10.data-00000-of-00001", "ckpt-10"):
        assert checkpointing.resolve_checkpoint(str(pets_run / name)) == prefix
    assert eval_py.main([f"--checkpoint_path={prefix}.data-00000-of-00001"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["step"] == 10
    image = str(tmp_path / "a.png")
    synthetic_digits.write_png(image, synthetic_digits.draw_digits(np.array([1]), seed=1)[0])
    assert infer.main([f"--checkpoint_path={prefix}.index", image]) == 0
    assert len(json.loads(capsys.readouterr().out)["predictions"]) == 3
    # TF-Slim's files: model.ckpt.meta beside a V2 model.ckpt.index, or beside a V1 model.ckpt.
    v2 = str(tmp_path / "v2" / "model.ckpt")
    tf.train.Checkpoint(v=tf.Variable(1.0)).write(v2)
    v1 = tmp_path / "v1" / "model.ckpt"
    v1.parent.mkdir()
    v1.write_bytes(b"V1")
    for path in (v2, str(v1)):
        open(path + ".meta", "wb").close()
        assert checkpointing.resolve_checkpoint(path + ".meta") == path
    assert checkpointing.resolve_checkpoint(v2 + ".index") == v2


def test_answers_have_as_many_csv_columns_as_classes(pets_run, tmp_path, capsys):
    image = str(tmp_path / "a.png")
    synthetic_digits.write_png(image, synthetic_digits.draw_digits(np.array([2]), seed=2)[0])
    assert infer.main([f"--checkpoint_path={pets_run}", "--output_format=csv", image]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split(",")[-3:] == ["class_id_3", "label_3", "score_3"] and "class_id_4" not in header
    assert len(row.split(",")) == len(header.split(","))


def test_a_refused_run_leaves_no_train_dir_it_made(tmp_path, capsys):
    data = str(tmp_path / "data")
    image_folder.convert("pets", make_tree(tmp_path / "images", per_class=3), data)
    args = ["--dataset_name=pets", f"--dataset_dir={data}", "--max_number_of_steps=1"]
    new = tmp_path / "new_run"
    assert train.main([*args, f"--train_dir={new}", f"--checkpoint_path={tmp_path / 'nothing'}"]) == 2
    assert "neither a checkpoint" in capsys.readouterr().err
    assert not new.exists()
    kept = tmp_path / "kept"
    kept.mkdir()  # a folder the user made: left as it was
    assert train.main([*args, f"--train_dir={kept}", f"--checkpoint_path={tmp_path / 'nothing'}"]) == 2
    assert kept.is_dir()


def test_an_unreadable_image_is_named_without_tensorflows_internals(tmp_path, capsys):
    source = make_tree(tmp_path / "images", per_class=3)
    (tmp_path / "images" / "cat" / "broken.png").write_bytes(b"not an image at all")
    info = image_folder.convert("pets", source, str(tmp_path / "data"))
    out = capsys.readouterr().out
    assert "broken.png: not a PNG, JPEG, GIF or BMP image" in out
    assert "function_node" not in out and "{" * 2 not in out  # TF's node decorations
    assert info["conversion"]["skipped"] == [str(tmp_path / "images" / "cat" / "broken.png")]


def test_the_viewer_writes_into_a_git_ignored_folder_by_default(tmp_path, monkeypatch, capsys):
    source = make_tree(tmp_path / "images", per_class=2)
    monkeypatch.chdir(tmp_path)
    assert view_dataset.main([f"--source_dir={source}"]) == 0
    assert (tmp_path / "views" / "images.png").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "views"]
    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert "views/" in open(os.path.join(project, ".gitignore")).read().split()


def test_tf_slim_and_absl_habits_that_only_tuned_tf1_do_not_stop_a_run(tmp_path, capsys):
    habits = ["--alsologtostderr", "--num_readers=4", "--num_preprocessing_threads", "4", "--v=1",
              "--save_summaries_secs=60", "--nologtostderr"]  # fmt: skip
    args = train_flags.parse(None, ["--dataset_name=sine", "--model_name=regression", *habits, "--seed=3"])
    assert args.seed == 3 and args.model_name == "regression"
    notes = capsys.readouterr().err.splitlines()
    assert len(notes) == 6 and all(": note: " in line and " is ignored: " in line for line in notes)
    assert "--num_readers is ignored: shards are read in parallel" in notes[1]
    assert not any("did you mean" in line for line in notes)
    config = tmp_path / "run.yaml"
    config.write_text("num_readers: 8\nalsologtostderr: true\nseed: 4\n")
    assert train_flags.parse(None, [f"--config={config}"]).seed == 4
    assert "--num_readers is ignored" in capsys.readouterr().err
    config.write_text("sync_replicas: true\nlog_every: 5\n")
    with pytest.raises(SystemExit):
        train_flags.parse(None, [f"--config={config}"])
    error = capsys.readouterr().err
    assert "sync_replicas (TF-Slim's: workers come from TF_CONFIG" in error and "did you mean" in error
    assert error.count("--help lists the flags") == 1 and len(error.splitlines()) == 1


def test_a_net_this_render_lacks_names_the_answer_that_brings_it(capsys):
    with pytest.raises(SystemExit):
        train.main(["--model_name=no_such_net"])
    error = capsys.readouterr().err
    assert "invalid choice: 'no_such_net'" in error and len(error.splitlines()) == 1
    brings = "TF-Slim's other nets come with the template's answer nets=tf_slim_zoo"
    assert (brings in error) == (nets_factory.NETS_ANSWER != "tf_slim_zoo")
