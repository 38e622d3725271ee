"""The zoo's TF-Slim nets: TF-Slim's checkpoints of them compute what TF-Slim computed (AlexNet, Inception
v1 and ResNet v2 50 in the default run; the VGGs, 130-140 M weights each at TF-Slim's 224 pixels, and ResNet
v2 101 and 152 under `pytest -m slow`); Keras' ResNet v2 weights copy into TF-Slim's ResNet v2 whole."""

import numpy as np
import pytest
import tensorflow as tf
from test_slim_checkpoints import REFERENCE, check_tf_slim_layout, conv_with_batch_norm, load_and_compare

from nets import nets_factory

ZOO = {
    "alexnet_v2": ("alexnet.alexnet_v2", 224, 1000, "v1"),
    "vgg_a": ("vgg.vgg_a", 224, 1000, "v2"),
    "vgg_16": ("vgg.vgg_16", 224, 1000, "v1"),
    "vgg_19": ("vgg.vgg_19", 224, 1000, "v2"),
    "inception_v1": ("inception_v1.inception_v1", 224, 1001, "v1"),  # its 7x7 average needs 224
    "resnet_v2_50": ("resnet_v2.resnet_v2_50", 64, 1000, "v1"),  # any size: it pools globally
    "resnet_v2_101": ("resnet_v2.resnet_v2_101", 64, 1000, "v2"),
    "resnet_v2_152": ("resnet_v2.resnet_v2_152", 64, 1000, "v1"),
}
SLOW = {"vgg_a", "vgg_16", "vgg_19", "resnet_v2_101", "resnet_v2_152"}
DEFAULT_RUN = [name for name in ZOO if name not in SLOW]


@pytest.fixture(scope="module")
def references(slim_references):
    return slim_references({name: ZOO[name] for name in DEFAULT_RUN})  # one TF-Slim process for them


def test_every_net_with_a_tf_slim_scope_is_compared_with_tf_slim():
    ours = {n for n, s in nets_factory.networks_map().items() if s.slim_scope}
    # The MobileNets, which the tf-slim package lacks, are checked against TF-Slim's published layout below.
    assert ours == set(REFERENCE) | set(ZOO) | {"mobilenet_v1", "mobilenet_v2"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] * (n in SLOW)) for n in ZOO])
def test_a_tf_slim_checkpoint_computes_what_tf_slim_computed(request, slim_references, name):
    if name in DEFAULT_RUN:
        folder = request.getfixturevalue("references")
    else:
        folder = slim_references({name: ZOO[name]})
    assert load_and_compare(folder, name, ZOO[name][2]) <= 1e-4


def test_keras_resnet_v2_weights_copy_into_tf_slims_resnet_v2_whole(tmp_path):
    keras_net = tf.keras.applications.ResNet50V2(include_top=False, weights=None, input_shape=(64, 64, 3))
    rng = np.random.default_rng(0)
    keras_net.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in keras_net.get_weights()])
    keras_net.save_weights(tmp_path / "resnet50v2.weights.h5")  # what --pretrained=FILE is given
    ours = nets_factory.get_network("resnet_v2_50", 5, weights=str(tmp_path / "resnet50v2.weights.h5"))
    logits, _ = ours(tf.zeros([1, 64, 64, 1]))  # grey images take the RGB weights
    assert logits.shape == (1, 5)
    copied = np.sort(np.concatenate([w.numpy().ravel() for w in ours.weights if "Logits" not in w.path]))
    published = np.sort(np.concatenate([w.ravel() for w in keras_net.get_weights()]))
    np.testing.assert_array_equal(copied, published)


def mobilenet_v1_layout(classes: int) -> dict[str, tuple[int, ...]]:
    """TF-Slim's MobilenetV1 variables and shapes, from research/slim/nets/mobilenet_v1.py's _CONV_DEFS
    (Conv2d_0 32/2, then 13 depthwise-separable convolutions)."""
    layout, depth = {}, 32
    conv = conv_with_batch_norm(layout, "MobilenetV1")
    conv("Conv2d_0", (3, 3, 3, 32))
    for index, out in enumerate((64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024), start=1):
        conv(f"Conv2d_{index}_depthwise", (3, 3, depth, 1), "depthwise_weights")
        conv(f"Conv2d_{index}_pointwise", (1, 1, depth, out))
        depth = out
    layout["MobilenetV1/Logits/Conv2d_1c_1x1/weights"] = (1, 1, 1024, classes)
    layout["MobilenetV1/Logits/Conv2d_1c_1x1/biases"] = (classes,)
    return layout


def test_mobilenet_v1_is_tf_slims_variable_for_variable(tmp_path):
    same_values = {
        "MobilenetV1/Conv2d_0/weights": ("conv1", 0),
        "MobilenetV1/Conv2d_0/BatchNorm/beta": ("conv1_bn", 1),
        "MobilenetV1/Conv2d_7_depthwise/depthwise_weights": ("conv_dw_7", 0),
        "MobilenetV1/Conv2d_13_pointwise/BatchNorm/moving_mean": ("conv_pw_13_bn", 2),
        "MobilenetV1/Logits/Conv2d_1c_1x1/weights": ("Logits", 0),
    }
    check_tf_slim_layout("mobilenet_v1", mobilenet_v1_layout(5), same_values, tmp_path)


@pytest.mark.parametrize(("name", "size"), [("alexnet_v2", 32), ("vgg_a", 32), ("vgg_16", 64)])
def test_a_map_smaller_than_fc6_computes_what_the_padded_map_did(name, size):
    """Below TF-Slim's size fc6 computes only the taps that meet the map (1x1 at 32 pixels, 2x2 for VGG at
    64): the same logits and gradients as the convolution over the zero-padded map."""
    from nets import vgg

    net = nets_factory.get_network(name, num_classes=10)
    images = tf.random.stateless_uniform((2, size, size, 3), seed=(1, 2))
    labels = tf.constant([3, 7])

    def logits_and_gradients():
        with tf.GradientTape() as tape:
            logits = net(images, training=False)[0]
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        return logits.numpy(), [g.numpy() for g in tape.gradient(loss, net.trainable_variables)]

    logits, gradients = logits_and_gradients()
    net.fc6_on = lambda mapped: net.fc6(vgg.pad_to(mapped, net.fc6_kernel))  # the padded computation
    padded_logits, padded_gradients = logits_and_gradients()
    # Within 1e-5 (logits) and 1e-4 (gradients), and within 0.1% of their scale (VGG's first logits are
    # ~1e-3, many gradients smaller still).
    for ours, padded, bound in [
        (logits, padded_logits, 1e-5),
        *((g, p, 1e-4) for g, p in zip(gradients, padded_gradients, strict=True)),
    ]:
        np.testing.assert_allclose(ours, padded, rtol=0, atol=min(bound, 1e-3 * np.abs(padded).max()))
    assert np.abs(padded_logits).max() > 1e-5  # not a net of zeros
