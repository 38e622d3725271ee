import gzip
import itertools
import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from datasets import (
    converted,
    dataset_factory,
    dataset_utils,
    idx_format,
    input_pipeline,
    mnist,
    sine,
    synthetic_digits,
)


def test_example_round_trips_through_the_decoder():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    example = dataset_utils.image_to_tfexample(tf.io.encode_png(image).numpy(), b"png", 3, 4, 7)
    decoded, label = dataset_utils.image_decoder((3, 4, 1))(example.SerializeToString())
    np.testing.assert_array_equal(decoded.numpy(), image)
    assert int(label) == 7


def test_label_file_round_trips(tmp_path):
    dataset_utils.write_label_file({0: "cat", 1: "dog: big"}, str(tmp_path))
    assert (tmp_path / "labels.txt").read_text() == "0:cat\n1:dog: big\n"
    assert dataset_utils.read_label_file(str(tmp_path)) == {0: "cat", 1: "dog: big"}


def test_sharded_writer_names_and_fills_every_shard(tmp_path):
    writer = converted.DatasetWriter(str(tmp_path), "toy")
    count = writer.write_split("train", (str(i).encode() for i in range(10)), 3)
    assert count == 10
    names = sorted(os.listdir(tmp_path))
    assert names == [f"toy_train-{i:05d}-of-00003.tfrecord" for i in range(3)]
    records = [r.numpy() for r in tf.data.TFRecordDataset([str(tmp_path / n) for n in names])]
    assert sorted(int(r) for r in records) == list(range(10))
    info = writer.finish({0: "a"}, {"num_classes": 1, "image_shape": [1, 1, 1]})
    sizes = [os.path.getsize(tmp_path / n) for n in names]  # what train.py and eval.py compare at start
    assert info["splits"] == {"train": {"num_examples": 10, "num_shards": 3, "shard_bytes": sizes}}
    assert json.loads((tmp_path / "dataset_info.json").read_text())["dataset"] == "toy"


def test_interrupted_conversion_leaves_no_shard(tmp_path):
    def records():
        yield b"one"
        yield b"two"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        converted.DatasetWriter(str(tmp_path), "toy").write_split("train", records(), 2)
    assert os.listdir(tmp_path) == []


def test_rewriting_with_fewer_shards_removes_the_old_ones(tmp_path):
    converted.DatasetWriter(str(tmp_path), "toy").write_split("train", [b"a"] * 4, 4)
    converted.DatasetWriter(str(tmp_path), "toy").write_split("train", [b"a"] * 4, 2)
    assert sorted(os.listdir(tmp_path)) == [f"toy_train-{i:05d}-of-00002.tfrecord" for i in range(2)]


def test_mnist_conversion_reads_back(mnist_dir):
    split = mnist.get_split("train", mnist_dir)
    assert (split.num_samples, split.num_classes, split.labels_to_names[3]) == (600, 10, "three")
    image, label = next(iter(split.records().map(split.decode)))
    assert image.shape == (28, 28, 1) and image.dtype == tf.uint8
    assert 0 <= int(label) < 10
    assert mnist.get_split("test", mnist_dir).num_samples == 200


def test_mnist_conversion_again_is_a_no_op(mnist_dir, capsys):
    before = {n: os.path.getmtime(os.path.join(mnist_dir, n)) for n in os.listdir(mnist_dir)}
    mnist.download_and_convert(mnist_dir, source_dir="/nonexistent")
    assert "already holds converted mnist" in capsys.readouterr().out
    assert before == {n: os.path.getmtime(os.path.join(mnist_dir, n)) for n in os.listdir(mnist_dir)}


@pytest.fixture
def raw_dir(tmp_path):
    synthetic_digits.write_mnist_files(str(tmp_path), num_train=20, num_test=10)
    return tmp_path


def test_truncated_mnist_file_is_named(raw_dir, tmp_path_factory):
    path = raw_dir / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:300])
    out = tmp_path_factory.mktemp("out")
    with pytest.raises(idx_format.IdxError, match="train-images-idx3-ubyte.gz.*truncated"):
        mnist.download_and_convert(str(out), source_dir=str(raw_dir))
    assert os.listdir(out) == []


def test_wrong_mnist_file_names_the_magic_number(raw_dir, tmp_path_factory):
    shutil.copy(raw_dir / "train-labels-idx1-ubyte.gz", raw_dir / "train-images-idx3-ubyte.gz")
    with pytest.raises(idx_format.IdxError, match="magic number 2049, expected 2051"):
        mnist.download_and_convert(str(tmp_path_factory.mktemp("out")), source_dir=str(raw_dir))


def test_missing_mnist_file_lists_the_four_files(raw_dir, tmp_path_factory):
    os.remove(raw_dir / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(idx_format.IdxError, match="must hold the four MNIST files"):
        mnist.download_and_convert(str(tmp_path_factory.mktemp("out")), source_dir=str(raw_dir))


def test_uncompressed_mnist_files_are_accepted(raw_dir, tmp_path_factory):
    for gz in raw_dir.glob("*.gz"):
        gz.with_suffix("").write_bytes(gzip.decompress(gz.read_bytes()))
        gz.unlink()
    out = tmp_path_factory.mktemp("out")
    info = mnist.download_and_convert(str(out), source_dir=str(raw_dir))
    assert info["splits"]["train"]["num_examples"] == 20


def test_unconverted_folder_says_how_to_convert(tmp_path):
    with pytest.raises(dataset_utils.DatasetError, match="download_and_convert_data.py --dataset_name=mnist"):
        dataset_factory.get_dataset("mnist", "train", str(tmp_path))


def test_missing_shard_is_reported(mnist_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(mnist_dir, copy)
    os.remove(converted.shard_filename(str(copy), "mnist", "train", 0, 1))
    with pytest.raises(dataset_utils.DatasetError, match="1 of 1 shards of mnist/train are missing"):
        mnist.get_split("train", str(copy))


def test_unknown_split_lists_the_splits(mnist_dir):
    with pytest.raises(dataset_utils.DatasetError, match="its splits are: test, train"):
        mnist.get_split("validation", mnist_dir)


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(
        dataset_utils.DatasetError,
        match="known datasets: .*mnist, .*sine",
    ):
        dataset_factory.get_dataset("imagenet", "train", None)


def test_sine_is_seeded_and_in_range():
    x, y = sine.make_data("train")
    x2, _ = sine.make_data("train")
    np.testing.assert_array_equal(x, x2)
    assert x.shape == (10_000, 1) and 0 <= x.min() and x.max() < 10
    residual = y - np.sin(x) - 5
    assert abs(residual.std() - 0.3) < 0.02


def keep(image, label, seed):
    del seed
    return image, label


def test_training_input_resumes_exactly_where_it_stopped():
    split = sine.get_split("train")

    def batches(start, n):
        ds = input_pipeline.train_dataset(split, keep, 64, seed=5, start_example=start)
        return [x.numpy() for x, _ in itertools.islice(ds, n)]

    # 160 batches of 64 cross the end of the first epoch (10,000 examples).
    whole = batches(0, 160)
    resumed = batches(150 * 64, 10)
    for a, b in zip(whole[150:], resumed, strict=True):
        np.testing.assert_array_equal(a, b)
    # Each epoch is a permutation of the split, and the next epoch another one.
    first_epoch = np.concatenate(whole)[:10_000].ravel()
    np.testing.assert_array_equal(np.sort(first_epoch), np.sort(split_x(split)))
    assert not np.array_equal(np.concatenate(whole)[10_000:10_100], first_epoch[:100])


def split_x(split):
    return np.concatenate([x.numpy() for x, _ in split.records().batch(10_000)]).ravel()


def write_shards(folder, sizes) -> list[str]:
    """Shard i holds records b"i:j" for j < sizes[i] (as sorted as a user's own shards may be)."""
    paths = []
    for i, size in enumerate(sizes):
        paths.append(str(folder / f"shard-{i}.tfrecord"))
        with tf.io.TFRecordWriter(paths[-1]) as writer:
            for j in range(size):
                writer.write(f"{i}:{j}".encode())
    return paths


def test_resuming_mid_round_reads_on_exactly_as_the_whole_epoch(tmp_path, monkeypatch):
    monkeypatch.setattr(input_pipeline, "CYCLE", 3)
    sizes = [5, 0, 3, 7, 4, 1, 6]  # uneven: files run out mid-round
    epoch_records, records_from = input_pipeline._shard_reader(
        write_shards(tmp_path, sizes), sizes, seed=3, shuffle=True
    )
    whole = [r.decode() for r in epoch_records(4).as_numpy_iterator()]
    assert sorted(whole) == sorted(f"{i}:{j}" for i, n in enumerate(sizes) for j in range(n))
    for start in range(sum(sizes)):
        assert [r.decode() for r in records_from(4, start).as_numpy_iterator()] == whole[start:]
    assert [r.decode() for r in epoch_records(5).as_numpy_iterator()] != whole  # another order
    # Resuming in the last round (one file: 7 files, 3 a round) opens no file before it.
    last = whole[-1].split(":")[0]
    start = whole.index(f"{last}:0")
    for path in tmp_path.glob("shard-*"):
        if path.name != f"shard-{last}.tfrecord":
            path.write_bytes(b"not a record")
    assert [r.decode() for r in records_from(4, start).as_numpy_iterator()] == whole[start:]


def test_training_input_mixes_shards_each_holding_one_class(tmp_path, monkeypatch):
    monkeypatch.setattr(input_pipeline, "_CACHE_BUDGET_BYTES", 0)  # read from the files every epoch
    files = tuple(write_shards(tmp_path, [200] * 8))
    split = dataset_utils.DatasetSplit(
        dataset_name="sorted", split_name="train", num_samples=1600, task="classification",
        num_classes=8, labels_to_names={}, image_shape=(1,),
        records=lambda: tf.data.TFRecordDataset(list(files)),
        decode=lambda r: (r, tf.strings.to_number(tf.strings.split(r, ":")[0], tf.int64)), files=files,
    )  # fmt: skip

    def batches(start, n):
        ds = input_pipeline.train_dataset(split, keep, 32, seed=1, start_example=start)
        return [y.numpy() for _, y in itertools.islice(ds, n)]

    whole = batches(0, 110)  # past the first epoch (50 batches)
    assert len(set(whole[0].tolist())) >= 6  # one batch: most of the classes, not one shard's
    assert np.bincount(np.concatenate(whole[:50]), minlength=8).tolist() == [200] * 8
    for at in (7, 49, 77):
        for a, b in zip(whole[at:], batches(at * 32, 110 - at), strict=True):
            np.testing.assert_array_equal(a, b)


def test_eval_input_reads_each_example_once_in_order(mnist_dir):
    split = mnist.get_split("test", mnist_dir)
    labels = np.concatenate(
        [y.numpy() for _, y in input_pipeline.eval_dataset(split, lambda x, y: (x, y), 64)]
    )
    expected = [int(y) for _, y in split.records().map(split.decode)]
    assert labels.tolist() == expected


def test_cached_image_input_also_resumes_exactly(mnist_dir):
    split = mnist.get_split("train", mnist_dir)  # 600 small images: decoded once and kept in memory
    assert split.num_samples * input_pipeline._example_bytes(split) <= input_pipeline._CACHE_BUDGET_BYTES

    def batches(start, n):
        ds = input_pipeline.train_dataset(split, keep, 16, seed=2, start_example=start)
        return [y.numpy() for _, y in itertools.islice(ds, n)]

    whole = batches(0, 50)  # 800 examples: past the first epoch
    for a, b in zip(whole[30:], batches(30 * 16, 20), strict=True):
        np.testing.assert_array_equal(a, b)
    first_epoch = np.concatenate(whole)[:600]
    expected = sorted(int(y) for _, y in split.records().map(split.decode))
    assert sorted(first_epoch.tolist()) == expected
