"""--pretrained: Keras' ImageNet weights from its cache or a local file, offline without a traceback, and grey
images on RGB weights. Nothing here downloads: the tests point Keras' cache at an empty folder and every
download at a closed port."""

import numpy as np
import pytest
import tensorflow as tf

import train
from deployment import assembly

NET, SIZE = "mobilenet_v2", 48


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    for proxy in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")  # nothing listens there: a download fails at once
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    return tmp_path / "keras_home" / "models"


def _run(mnist_dir, train_dir, *extra):
    return train.main([
        f"--dataset_dir={mnist_dir}", "--dataset_name=mnist", f"--model_name={NET}",
        f"--train_image_size={SIZE}", f"--train_dir={train_dir}", "--max_number_of_steps=2",
        "--batch_size=4", *extra,
    ])  # fmt: skip


def test_imagenet_weights_offline_say_what_to_fetch_and_where_in_one_line(
    offline, mnist_dir, tmp_path, capsys
):
    assert _run(mnist_dir, tmp_path / "run", "--pretrained=imagenet") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "fetch https://" in err and "mobilenet_v2" in err and f"put it in {offline}" in err
    assert "--pretrained=PATH" in err


def test_a_missing_or_wrong_weights_file_is_named(offline, mnist_dir, tmp_path, capsys):
    assert _run(mnist_dir, tmp_path / "run", f"--pretrained={tmp_path / 'nothing.weights.h5'}") == 2
    assert "nothing.weights.h5: no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.weights.h5"
    junk.write_bytes(b"not hdf5" * 100)
    assert _run(mnist_dir, tmp_path / "run2", f"--pretrained={junk}") == 2
    err = capsys.readouterr().err
    assert (
        f"--pretrained={junk} is not MobileNetV2's weights without its top" in err and "Traceback" not in err
    )


def test_a_weights_file_starts_the_net_and_grey_images_take_rgb_weights(offline, mnist_dir, tmp_path):
    """MNIST is grey, the file's first convolution RGB; only the logits train: the body stays the file's."""
    published = tf.keras.applications.MobileNetV2(
        include_top=False, weights=None, input_shape=(SIZE, SIZE, 3), pooling="avg"
    )
    weights = tmp_path / "mobilenet_v2_no_top.weights.h5"
    published.save_weights(str(weights))
    train_dir = tmp_path / "run"
    assert _run(mnist_dir, train_dir, f"--pretrained={weights}", "--trainable_scopes=Logits") == 0
    net, config, _ = assembly.load_net(str(train_dir))
    assert config.input_shape[-1] == 1 and config.pretrained == str(weights)
    ours = {v.path.split("/", 1)[1]: v.numpy() for v in net.base.weights if "kernel" in v.path}
    theirs = {v.path: v.numpy() for v in published.weights if "kernel" in v.path}
    assert len(theirs) > 50 and theirs.keys() <= {k.split("/", 1)[-1] for k in ours} | theirs.keys()
    for path, value in theirs.items():
        match = [v for k, v in ours.items() if k.endswith(path)]
        assert match and np.array_equal(match[0], value), path
    # A second stage from the first's checkpoint: its trained logits are kept, not started anew.
    again, start = tmp_path / "again", f"--checkpoint_path={train_dir}"
    assert _run(mnist_dir, again, f"--pretrained={weights}", start, "--learning_rate=0") == 0
    kept = assembly.load_net(str(again))[0].logits.kernel.numpy()
    assert np.any(kept) and np.array_equal(kept, net.logits.kernel.numpy())
