"""TF-Slim's checkpoints (its model zoo's format) load into the nets that are TF-Slim's architecture, compute
what TF-Slim computed, and start a fine-tuning run with TF-Slim's flags; the others are refused by name."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import eval as eval_py
import export
import infer
import train
from datasets import image_folder, imagenet_names, synthetic_digits
from deployment import assembly
from errors import UserError
from nets import nets_factory, slim_checkpoint
from training import fine_tuning

# net: (TF-Slim builder, size, classes, checkpoint format); every net of this render with a TF-Slim scope.
REFERENCE = {
    "lenet": ("lenet", 28, 10, "v2"),
    "cifarnet": ("cifarnet", 32, 10, "v1"),
    "resnet_v1_50": ("resnet_v1.resnet_v1_50", 64, 1000, "v1"),  # any size: it pools globally
    "resnet_v1_101": ("resnet_v1.resnet_v1_101", 64, 1000, "v2"),
    "resnet_v1_152": ("resnet_v1.resnet_v1_152", 64, 1000, "v2"),
    "inception_v3": ("inception_v3.inception_v3", 107, 1001, "v2"),  # 107: its auxiliary logits' least
}
SLOW = {"resnet_v1_101", "resnet_v1_152"}  # 45 and 60 M weights; 50 stands for them in the default run


def load_and_compare(folder: str, name: str, classes: int) -> float:
    """Loads TF-Slim's checkpoint of ``name`` into our net; returns the largest logit difference."""
    images = np.load(os.path.join(folder, name, "images.npy"))
    expected = np.load(os.path.join(folder, name, "logits.npy"))
    net = nets_factory.get_network(name, classes)
    net(tf.zeros_like(images))
    copied = fine_tuning.warm_start(net, name, os.path.join(folder, name, "model.ckpt"), [], False)
    assert copied == len(net.weights)
    logits, _ = net(images, training=False)
    return float(np.abs(logits.numpy() - expected.reshape(logits.shape)).max())


@pytest.fixture(scope="module")
def references(slim_references):
    default_run = {n: REFERENCE[n] for n in ("lenet", "cifarnet", "resnet_v1_50", "inception_v3")}
    # A LeNet with ImageNet's 1000 classes stands for a model zoo checkpoint where only that matters.
    return slim_references(
        default_run | {"lenet_5": ("lenet", 28, 5, "v1"), "lenet_1000": ("lenet", 28, 1000, "v1")}
    )


def test_every_net_with_a_tf_slim_scope_has_a_reference_here_or_in_its_part():
    ours = {n for n, s in nets_factory.networks_map().items() if s.slim_scope}
    assert set(REFERENCE) <= ours


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] * (n in SLOW)) for n in REFERENCE])
def test_a_tf_slim_checkpoint_computes_what_tf_slim_computed(references, slim_references, name):
    folder = (
        references
        if os.path.isdir(os.path.join(references, name))
        else slim_references({name: REFERENCE[name]})
    )
    assert load_and_compare(folder, name, REFERENCE[name][2]) <= 1e-4


def write_as_tf_slim(train_dir: str, prefix: str) -> None:
    """Writes a trained LeNet's weights under TF-Slim's names, as TF-Slim's Saver would (name-based V2)."""
    net, _, _ = assembly.load_net(train_dir)
    names = slim_checkpoint.slim_names(net, "LeNet")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=list(names), shape_and_slices=[""] * len(names),
                      tensors=[tf.convert_to_tensor(v) for v in names.values()])  # fmt: skip


def test_fine_tuning_from_a_tf_slim_checkpoint_with_its_flags_keeps_what_it_knows_and_serves(
    references, lenet_dir, mnist_dir, tmp_path, capsys
):
    run = [f"--dataset_dir={mnist_dir}", "--dataset_name=mnist", "--model_name=lenet",
           "--max_number_of_steps=40", "--batch_size=16"]  # fmt: skip
    five_classes = os.path.join(references, "lenet_5", "model.ckpt")  # MNIST has 10
    assert train.main([*run, f"--checkpoint_path={five_classes}", f"--train_dir={tmp_path / 'no'}"]) == 2
    assert "--checkpoint_exclude_scopes=LeNet/fc4" in capsys.readouterr().err

    checkpoint = str(tmp_path / "lenet.ckpt")
    write_as_tf_slim(lenet_dir, checkpoint)
    train_dir = str(tmp_path / "tuned")
    tune = [
        f"--checkpoint_path={checkpoint}",
        "--checkpoint_exclude_scopes=LeNet/fc4",
        "--trainable_scopes=LeNet/fc4",
    ]
    assert train.main([*run, f"--train_dir={train_dir}", *tune]) == 0
    assert "Fine-tuning from" in capsys.readouterr().out
    net, _, _ = assembly.load_net(train_dir)
    kept = tf.train.load_checkpoint(checkpoint).get_tensor("LeNet/fc3/weights")
    np.testing.assert_array_equal(net.fc3.kernel.numpy(), kept)  # frozen: not in --trainable_scopes
    assert eval_py.main([f"--checkpoint_path={train_dir}", f"--eval_dir={tmp_path / 'eval'}"]) == 0
    # New logits on features that know digits: far above chance (0.1) after 40 steps; on a random
    # LeNet's frozen features the same run stayed near 0.3.
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["accuracy"] > 0.7
    assert export.main([f"--checkpoint_path={train_dir}", f"--output_dir={tmp_path / 'export'}"]) == 0
    digit = tmp_path / "digit.png"
    tf.io.write_file(str(digit), tf.io.encode_png(tf.zeros([28, 28, 1], tf.uint8)))
    capsys.readouterr()
    assert infer.main([f"--checkpoint_path={train_dir}", str(digit)]) == 0
    assert '"label"' in capsys.readouterr().out


def test_labels_after_a_background_class_take_labels_offset_as_tf_slim_did(lenet_dir, tmp_path, capsys):
    """TF-Slim's ImageNet records number classes from 1 (0: background, no images); its 1,000-class nets
    are evaluated and fine-tuned on them with --labels_offset=1."""
    checkpoint = str(tmp_path / "lenet.ckpt")
    write_as_tf_slim(lenet_dir, checkpoint)  # ten digits, as labels 0-9
    for split, per_class in (("train", 2), ("test", 20)):
        for digit in range(-1, 10) if split == "train" else range(10):  # -1: the background class
            folder = (
                tmp_path / "source" / split / ("00_background" if digit < 0 else f"{digit + 1:02d}_{digit}")
            )
            folder.mkdir(parents=True)
            for i, image in enumerate(synthetic_digits.draw_digits(np.full(per_class, max(digit, 0)), 9)):
                synthetic_digits.write_png(str(folder / f"{i}.png"), image)
    data = str(tmp_path / "data")
    assert image_folder.convert("digits_bg", str(tmp_path / "source"), data)["num_classes"] == 11
    given = [f"--dataset_dir={data}", "--dataset_name=digits_bg", "--dataset_split_name=test"]
    assert eval_py.main([f"--checkpoint_path={checkpoint}", *given]) == 2
    assert "has 10 outputs and digits_bg 11 classes: pass --labels_offset=1" in capsys.readouterr().err
    assert eval_py.main([f"--checkpoint_path={checkpoint}", *given, "--labels_offset=1"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["accuracy"] > 0.8  # chance: 0.1

    for bad in ("-1", "11"):  # no class left, or labels made larger
        assert train.main([*given, f"--labels_offset={bad}", f"--train_dir={tmp_path / 'bad'}"]) == 2
        assert f"--labels_offset={bad}: give 0 up to 10" in capsys.readouterr().err
    train_dir = str(tmp_path / "tuned")  # the logits fit as they are: 11 classes less the offset
    assert train.main([*given, f"--checkpoint_path={checkpoint}", "--labels_offset=1", "--model_name=lenet",
                       f"--train_dir={train_dir}", "--max_number_of_steps=5"]) == 0  # fmt: skip
    assert "8 variables taken" in capsys.readouterr().out
    assert eval_py.main([f"--checkpoint_path={train_dir}", "--dataset_split_name=test"]) == 0  # offset kept
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["accuracy"] > 0.8


def test_a_tf_slim_checkpoint_of_another_net_is_refused_by_name(references, tmp_path, capsys):
    checkpoint = os.path.join(references, "lenet", "model.ckpt")
    net = nets_factory.get_network("cifarnet", 10)
    net(tf.zeros([1, 32, 32, 3]))
    with pytest.raises(Exception, match="not a TF-Slim CifarNet checkpoint: it holds TF-Slim's LeNet "
                                        "variables: pass --model_name=lenet"):  # fmt: skip
        fine_tuning.warm_start(net, "cifarnet", checkpoint, [], False)
    other = min(n for n, s in nets_factory.networks_map().items() if not s.slim_scope)  # e.g. regression
    net = nets_factory.get_network(other, 10)
    net(tf.zeros([1, 96, 96, 3]))
    with pytest.raises(Exception, match=f"net '{other}' is not TF-Slim's architecture; it holds "
                                        "TF-Slim's LeNet variables: pass --model_name=lenet"):  # fmt: skip
        fine_tuning.warm_start(net, other, checkpoint, [], False)


def test_a_tf_slim_checkpoint_itself_answers_in_imagenet_class_names_and_exports(
    references, tmp_path, capsys
):
    """TF-Slim's walkthrough, "apply a pre-trained model to images": infer.py and export.py take it as is."""
    checkpoint = os.path.join(references, "lenet_1000", "model.ckpt")
    picture = tmp_path / "photo.png"
    pixels = tf.random.stateless_uniform([56, 40, 1], [1, 2], maxval=256, dtype=tf.int32)
    tf.io.write_file(str(picture), tf.io.encode_png(tf.cast(pixels, tf.uint8)))
    capsys.readouterr()
    assert infer.main([f"--checkpoint_path={checkpoint}", "--top_k=3", str(picture)]) == 0
    predictions = json.loads(capsys.readouterr().out.splitlines()[-1])["predictions"]
    names = imagenet_names.labels_to_names(1000)
    assert len(predictions) == 3 and names[281] == "tabby"
    assert all(p["label"] == names[p["class_id"]] for p in predictions)
    assert export.main([f"--checkpoint_path={checkpoint}", f"--output_dir={tmp_path / 'export'}"]) == 0
    assert infer.main([f"--saved_model_dir={tmp_path / 'export'}", "--top_k=3", str(picture)]) == 0
    served = json.loads(capsys.readouterr().out.splitlines()[-1])["predictions"]
    assert [p["class_id"] for p in served] == [p["class_id"] for p in predictions]


def test_a_tf_slim_checkpoint_of_no_net_here_says_what_it_holds(tmp_path):
    prefix = str(tmp_path / "other.ckpt")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=["InceptionResnetV2/Conv2d_1a_3x3/weights"],
                      shape_and_slices=[""], tensors=[tf.zeros([3, 3, 3, 32])])  # fmt: skip
    with pytest.raises(UserError, match="its variables are under InceptionResnetV2, which is no net of this "
                                        "project \\(TF-Slim checkpoints load into .*lenet"):  # fmt: skip
        assembly.load_net(prefix)


# --- The MobileNets: Keras' port is TF-Slim's net; the tf-slim package lacks them ---------------------


def conv_with_batch_norm(layout: dict, net_scope: str):
    """``conv(scope, kernel shape, kind)`` adds a TF-Slim convolution and its batch norm to ``layout``."""

    def conv(scope, shape, kind="weights"):
        layout[f"{net_scope}/{scope}/{kind}"] = shape
        for leaf in ("beta", "gamma", "moving_mean", "moving_variance"):
            layout[f"{net_scope}/{scope}/BatchNorm/{leaf}"] = (shape[-1] if kind == "weights" else shape[2],)

    return conv


def mobilenet_v2_layout(classes: int) -> dict[str, tuple[int, ...]]:
    """TF-Slim's MobilenetV2 variables and shapes, from research/slim/nets/mobilenet/mobilenet_v2.py's
    V2_DEF (Conv 32/2; expanded_conv 16 at expansion 1; (expansion, depth, units, stride) stages; Conv_1)."""
    layout = {}
    conv = conv_with_batch_norm(layout, "MobilenetV2")
    conv("Conv", (3, 3, 3, 32))
    conv("expanded_conv/depthwise", (3, 3, 32, 1), "depthwise_weights")
    conv("expanded_conv/project", (1, 1, 32, 16))
    depth, unit = 16, 1
    for expansion, out, units, _ in ((6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                                     (6, 160, 3, 2), (6, 320, 1, 1)):  # fmt: skip
        for _ in range(units):
            conv(f"expanded_conv_{unit}/expand", (1, 1, depth, depth * expansion))
            conv(f"expanded_conv_{unit}/depthwise", (3, 3, depth * expansion, 1), "depthwise_weights")
            conv(f"expanded_conv_{unit}/project", (1, 1, depth * expansion, out))
            depth, unit = out, unit + 1
    conv("Conv_1", (1, 1, 320, 1280))
    layout["MobilenetV2/Logits/Conv2d_1c_1x1/weights"] = (1, 1, 1280, classes)
    layout["MobilenetV2/Logits/Conv2d_1c_1x1/biases"] = (classes,)
    return layout


def check_tf_slim_layout(name, layout, same_values, tmp_path):
    """The net names exactly TF-Slim's variables, with their sizes; a checkpoint written under those names
    (as TF-Slim's Saver writes one) loads whole, each value into the Keras layer ``same_values`` pairs it
    with (pairs read off Keras' layer names, independently of the mapping)."""
    net = nets_factory.get_network(name, 5)
    net(tf.zeros([1, 64, 64, 3]))
    ours = {
        n: tuple(v.shape)
        for n, v in slim_checkpoint.slim_names(net, nets_factory.get_net_spec(name).slim_scope).items()
    }
    assert {n: int(np.prod(s)) for n, s in ours.items()} == {n: int(np.prod(s)) for n, s in layout.items()}
    values = {
        n: np.random.default_rng(k).uniform(0.5, 1.5, s).astype("float32")
        for k, (n, s) in enumerate(layout.items())
    }
    prefix = str(tmp_path / "model.ckpt")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=list(values), shape_and_slices=[""] * len(values),
                      tensors=list(values.values()))  # fmt: skip
    fresh = nets_factory.get_network(name, 5)
    fresh(tf.zeros([1, 64, 64, 3]))
    assert fine_tuning.warm_start(fresh, name, prefix, [], False) == len(fresh.weights)
    for slim_name, (layer_name, index) in same_values.items():
        layer = fresh.base.get_layer(layer_name) if layer_name != "Logits" else fresh.logits
        np.testing.assert_array_equal(layer.weights[index].numpy().ravel(), values[slim_name].ravel())
    return fresh


def test_mobilenet_v2_is_tf_slims_variable_for_variable(tmp_path):
    same_values = {
        "MobilenetV2/Conv/weights": ("Conv1", 0),
        "MobilenetV2/expanded_conv/depthwise/depthwise_weights": ("expanded_conv_depthwise", 0),
        "MobilenetV2/expanded_conv_3/project/BatchNorm/moving_variance": ("block_3_project_BN", 3),
        "MobilenetV2/expanded_conv_16/expand/weights": ("block_16_expand", 0),
        "MobilenetV2/Conv_1/BatchNorm/gamma": ("Conv_1_bn", 0),
        "MobilenetV2/Logits/Conv2d_1c_1x1/biases": ("Logits", 1),
    }
    check_tf_slim_layout("mobilenet_v2", mobilenet_v2_layout(5), same_values, tmp_path)
