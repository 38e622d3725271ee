"""Converting your own images, the dataset viewer, the scaffold, no unpickling of user files."""

import importlib
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

import download_and_convert_data
import registry
import train
import view_dataset
from datasets import (
    dataset_factory,
    dataset_viewer,
    image_folder,
    new_dataset,
    synthetic_digits,
)


def make_tree(root, classes=("cat", "dog", "owl"), per_class=10, splits=None):
    """Writes PNG images into root/[split/]<class>/; returns root."""
    for split in splits or [None]:
        for k, name in enumerate(classes):
            folder = os.path.join(root, split, name) if split else os.path.join(root, name)
            os.makedirs(folder, exist_ok=True)
            images = synthetic_digits.draw_digits(np.full(per_class, k), seed=k)
            for i, image in enumerate(images):
                synthetic_digits.write_png(os.path.join(folder, f"{i}.png"), image)
    return str(root)


def test_class_folders_convert_with_a_stratified_validation_split(tmp_path):
    source = make_tree(tmp_path / "images")
    info = image_folder.convert("pets", source, str(tmp_path / "data"), validation_fraction=0.2)
    assert info["splits"]["train"]["num_examples"] == 24
    assert info["splits"]["validation"]["num_examples"] == 6
    assert info["image_shape"] == [28, 28, 1] and info["num_classes"] == 3
    assert info["conversion"]["kept_encoded"] == 30 and info["conversion"]["reencoded"] == 0
    split = dataset_factory.get_dataset("pets", "validation", str(tmp_path / "data"))
    labels = sorted(int(y) for _, y in split.records().map(split.decode))
    assert labels == [0, 0, 1, 1, 2, 2]  # two of every class
    assert split.labels_to_names == {0: "cat", 1: "dog", 2: "owl"}


def test_the_stratified_split_is_deterministic(tmp_path):
    source = make_tree(tmp_path / "images")
    first = image_folder.scan(source, 0.3, seed=0).splits["validation"]
    assert image_folder.scan(source, 0.3, seed=0).splits["validation"] == first
    assert image_folder.scan(source, 0.3, seed=1).splits["validation"] != first


def test_split_folders_are_kept_as_given(tmp_path):
    source = make_tree(tmp_path / "images", per_class=4, splits=["train", "test"])
    info = image_folder.convert("pets", source, str(tmp_path / "data"))
    assert {k: v["num_examples"] for k, v in info["splits"].items()} == {"test": 12, "train": 12}
    assert info["conversion"]["splits_given"] is True


def test_other_formats_and_sizes_are_re_encoded(tmp_path):
    source = make_tree(tmp_path / "images", per_class=3)
    Image.new("RGB", (40, 30), "red").save(tmp_path / "images" / "cat" / "red.bmp")
    info = image_folder.convert(
        "pets", source, str(tmp_path / "data"), validation_fraction=0.0, image_size=(16, 16)
    )
    assert info["image_shape"] == [16, 16, 3]  # one colour image makes every image decode as RGB
    assert info["conversion"]["reencoded"] == 10
    split = dataset_factory.get_dataset("pets", "train", str(tmp_path / "data"))
    shapes = {tuple(x.shape) for x, _ in split.records().map(split.decode)}
    assert shapes == {(16, 16, 3)}


def test_corrupt_images_are_skipped_and_listed_or_fail_with_strict(tmp_path, capsys):
    source = make_tree(tmp_path / "images", per_class=4)
    broken = tmp_path / "images" / "dog" / "broken.png"
    broken.write_bytes(b"\x89PNG but not really")
    info = image_folder.convert("pets", source, str(tmp_path / "data"), validation_fraction=0.0)
    assert info["conversion"]["skipped"] == [str(broken)]
    assert info["splits"]["train"]["num_examples"] == 12
    assert f"skipped {broken}" in capsys.readouterr().out
    with pytest.raises(image_folder.ConversionError, match=f"cannot read {broken}.*--strict"):
        image_folder.convert("pets", source, str(tmp_path / "strict"), strict=True)
    assert not os.path.exists(tmp_path / "strict" / "dataset_info.json")
    assert not [f for f in os.listdir(tmp_path / "strict") if f.endswith(".tfrecord")]


def test_names_that_are_not_utf8_are_converted_and_shown_escaped(tmp_path, capsys):
    source = make_tree(tmp_path / "images", per_class=4)
    root = os.fsencode(source)
    odd_class = os.path.join(root, b"caf\xe9")  # Latin-1, as trees copied from older systems hold
    os.makedirs(odd_class)
    for i, image in enumerate(synthetic_digits.draw_digits(np.full(4, 3), seed=9)):
        synthetic_digits.write_png(os.fsdecode(os.path.join(odd_class, b"%d.png" % i)), image)
    one = synthetic_digits.draw_digits(np.ones(1, int))[0]
    synthetic_digits.write_png(os.fsdecode(os.path.join(root, b"dog", b"\xff\xfe.png")), one)
    os.makedirs(os.path.join(root, b"owl"), exist_ok=True)
    with open(os.path.join(root, b"owl", b"\xff\xfd.png"), "wb") as f:
        f.write(b"\x89PNG not really")
    assert download_and_convert_data.main(
        ["--dataset_name=odd", f"--source_dir={source}", f"--dataset_dir={tmp_path / 'data'}",
         "--validation_fraction=0"]
    ) == 0  # fmt: skip
    out = capsys.readouterr().out
    info = json.loads((tmp_path / "data" / "dataset_info.json").read_text())
    assert info["splits"]["train"]["num_examples"] == 4 * 4 + 1  # every readable image, odd names too
    assert info["conversion"]["skipped"] == [f"{source}/owl/\\xff\\xfd.png"]
    assert f"skipped {source}/owl/\\xff\\xfd.png" in out
    assert "0:caf\\xe9\n" in (tmp_path / "data" / "labels.txt").read_text()


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"cat": 2}, "has a single class"),
        ({"cat": 2, "dog": 0}, "holds no images"),
        ({"cat": 2, "Cat": 2}, "differ only by case"),
        ({}, "has no class folders"),
    ],
)
def test_bad_source_folders_get_clear_errors(tmp_path, layout, message):
    for name, count in layout.items():
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(count):
            synthetic_digits.write_png(
                str(tmp_path / "images" / name / f"{i}.png"), np.zeros((4, 4), np.uint8)
            )
    (tmp_path / "images").mkdir(exist_ok=True)
    with pytest.raises(image_folder.ConversionError, match=message):
        image_folder.convert("pets", str(tmp_path / "images"), str(tmp_path / "data"))


def test_missing_source_folder(tmp_path):
    with pytest.raises(image_folder.ConversionError, match="does not exist"):
        image_folder.convert("pets", str(tmp_path / "nowhere"), str(tmp_path / "data"))


def test_converting_again_is_a_no_op_unless_overwrite(tmp_path, capsys):
    source = make_tree(tmp_path / "images", per_class=3)
    data = str(tmp_path / "data")
    image_folder.convert("pets", source, data)
    stamp = os.path.getmtime(os.path.join(data, "dataset_info.json"))
    image_folder.convert("pets", source, data)
    assert "already holds converted pets" in capsys.readouterr().out
    assert os.path.getmtime(os.path.join(data, "dataset_info.json")) == stamp
    shutil.rmtree(os.path.join(source, "owl"))
    assert image_folder.convert("pets", source, data, overwrite=True)["num_classes"] == 2


def test_cli_converts_and_trains_a_new_name_with_no_code(tmp_path, capsys):
    source = make_tree(tmp_path / "images", per_class=20)
    data = str(tmp_path / "data")
    args = ["--dataset_name=pets", f"--source_dir={source}", f"--dataset_dir={data}", "--num_shards=2"]
    assert download_and_convert_data.main(args) == 0
    assert sorted(f for f in os.listdir(data) if f.startswith("pets_train")) == [
        "pets_train-00000-of-00002.tfrecord",
        "pets_train-00001-of-00002.tfrecord",
    ]
    assert (
        train.main(
            [
                "--dataset_name=pets",
                f"--dataset_dir={data}",
                f"--train_dir={tmp_path / 'ckpt'}",
                "--max_number_of_steps=5",
                "--batch_size=8",
            ]
        )
        == 0
    )
    assert download_and_convert_data.main(["--dataset_name=pets", f"--dataset_dir={tmp_path / 'x'}"]) == 2
    assert "pass --source_dir=IMAGES" in capsys.readouterr().err


def test_viewer_writes_a_labelled_grid_and_counts(tmp_path, capsys):
    source = make_tree(tmp_path / "images", per_class=5)
    data = str(tmp_path / "data")
    image_folder.convert("pets", source, data, validation_fraction=0.0)
    output = str(tmp_path / "grid.png")
    args = ["--dataset_name=pets", f"--dataset_dir={data}", "--num_images=9", f"--output={output}"]
    assert view_dataset.main(args) == 0
    described = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert described["class_counts"] == {"cat": 5, "dog": 5, "owl": 5}
    assert described["splits"] == {"train": 15} and described["image_shape"] == [28, 28, 1]
    grid = np.asarray(Image.open(output).convert("L"))
    cell = dataset_viewer.CELL
    assert grid.shape == (3 * (cell + dataset_viewer.LABEL_HEIGHT), 3 * cell)
    assert grid.std() > 20  # images and labels, not a blank page
    assert view_dataset.main([f"--source_dir={source}", f"--output={tmp_path / 'raw.png'}"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["splits"] == {"train": 15}


def test_scaffold_writes_a_module_the_factory_finds(tmp_path, monkeypatch):
    copy = tmp_path / "datasets_copy"
    shutil.copytree(os.path.dirname(new_dataset.__file__), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(new_dataset, "DATASETS_DIR", str(copy))
    monkeypatch.syspath_prepend(str(tmp_path))
    path = new_dataset.create("leaves")
    source = open(path).read()
    compile(source, path, "exec")
    assert 'NAME = "leaves"' in source and "${" not in source
    found = registry.discover(importlib.import_module("datasets_copy"), "get_split")
    assert "leaves" in {getattr(m, "NAME", None) for m in found}  # registered by being there
    leaves = importlib.import_module("datasets_copy.leaves")
    data = str(tmp_path / "data")
    leaves.download_and_convert(data, source_dir=make_tree(tmp_path / "images"), validation_fraction=0.2)
    split = leaves.get_split("validation", data)
    assert split.num_samples == 6 and split.labels_to_names == {0: "cat", 1: "dog", 2: "owl"}
    assert next(iter(split.records().map(split.decode)))[0].shape == (28, 28, 1)
    with pytest.raises(ValueError, match="exists already"):
        new_dataset.create("leaves")
    with pytest.raises(ValueError, match="must be a Python module name"):
        new_dataset.create("My-Leaves")


def test_no_user_file_is_unpickled_evaluated_or_executed_unguarded():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = []
    for folder, _, names in os.walk(root):
        if "tests" in folder.split(os.sep) or ".venv" in folder:
            continue
        for name in names:
            if name.endswith(".py"):
                text = open(os.path.join(folder, name), encoding="utf-8").read()
                for pattern in (
                    "pickle.load(",
                    "pickle.loads(",
                    "yaml.load(",
                    " eval(",
                    " exec(",
                    "shell=True",
                ):
                    if pattern in text:
                        found.append(f"{name}: {pattern}")
    assert found == []
