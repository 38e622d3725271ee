"""TF-Slim's datasets beside MNIST: CIFAR-10 (from its binary archive; pickles only with their published
checksums, through an unpickler that loads nothing else) and flowers, converted offline from archives
made here."""

import io
import os
import pickle
import tarfile

import numpy as np
import pytest
import tensorflow as tf

from datasets import cifar10, dataset_utils, flowers


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def test_cifar10_converts_from_the_binary_archive(tmp_path):
    rng = np.random.default_rng(0)
    rows = {f"data_batch_{i}": rng.integers(0, 256, (2, 3073), dtype=np.uint8) for i in range(1, 6)}
    rows["test_batch"] = rng.integers(0, 256, (3, 3073), dtype=np.uint8)
    for data in rows.values():
        data[:, 0] = np.arange(len(data)) % 10  # the label byte
    members = {f"cifar-10-batches-bin/{name}.bin": data.tobytes() for name, data in rows.items()}
    members["cifar-10-batches-bin/batches.meta.txt"] = ("\n".join(CIFAR_NAMES) + "\n\n").encode()
    _tar(tmp_path / cifar10.BINARY_ARCHIVE, members)
    info = cifar10.download_and_convert(str(tmp_path / "data"), source_dir=str(tmp_path))
    assert {k: v["num_examples"] for k, v in info["splits"].items()} == {"train": 10, "test": 3}
    split = cifar10.get_split("test", str(tmp_path / "data"))
    image, label = next(iter(split.records().map(split.decode)))
    expected = rows["test_batch"][0, 1:].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(image.numpy(), expected)
    assert split.labels_to_names[int(label)] == "airplane"


class _RunsCode:
    """Unpickling this calls os.system: what a crafted batches.meta would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("form", ["archive", "folder"])
def test_a_crafted_pickle_runs_nothing(tmp_path, form):
    marker = tmp_path / "ran"
    members = {"cifar-10-batches-py/batches.meta": pickle.dumps({b"label_names": [_RunsCode(marker)]})}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        members[f"cifar-10-batches-py/{name}"] = pickle.dumps(
            {b"data": np.zeros((1, 3072), np.uint8), b"labels": [0]}
        )
    source = tmp_path / "source"
    source.mkdir()
    _tar(source / cifar10.PYTHON_ARCHIVE, members)
    if form == "folder":
        with tarfile.open(source / cifar10.PYTHON_ARCHIVE) as tar:
            tar.extractall(source, filter="data")
        (source / cifar10.PYTHON_ARCHIVE).unlink()
    with pytest.raises(dataset_utils.DatasetError, match="not the published"):
        cifar10.download_and_convert(str(tmp_path / "data"), source_dir=str(source))
    assert not marker.exists()
    # Even a file with the right checksum could only load what CIFAR-10's files hold.
    with pytest.raises(pickle.UnpicklingError, match="refused to load .*system"):
        cifar10._BatchUnpickler(io.BytesIO(pickle.dumps(_RunsCode(marker)))).load()
    assert not marker.exists()


def test_a_truncated_archive_says_so(tmp_path):
    (tmp_path / cifar10.BINARY_ARCHIVE).write_bytes(b"\x1f\x8b\x08\x00 truncated")
    with pytest.raises(dataset_utils.DatasetError, match="truncated or corrupt"):
        cifar10.download_and_convert(str(tmp_path / "data"), source_dir=str(tmp_path))


def test_flowers_converts_from_a_local_archive_keeping_the_jpegs(tmp_path):
    members = {}
    for k, name in enumerate(["daisy", "dandelion", "roses", "sunflowers", "tulips"]):
        for i in range(11):
            image = tf.fill([12 + i, 10, 3], tf.constant(20 * k, tf.uint8))
            members[f"flower_photos/{name}/{i}.jpg"] = tf.io.encode_jpeg(image).numpy()
    members["flower_photos/LICENSE.txt"] = b"licenses"
    _tar(tmp_path / flowers.ARCHIVE, members)
    info = flowers.download_and_convert(str(tmp_path / "data"), source_dir=str(tmp_path))
    assert info["num_classes"] == 5 and info["image_shape"] == [None, None, 3]
    assert info["splits"]["validation"]["num_examples"] == 5  # round(11 * 350 / 3670) = 1 per class
    assert info["conversion"]["kept_encoded"] == 55
    assert flowers.get_split("train", str(tmp_path / "data")).num_samples == 50
