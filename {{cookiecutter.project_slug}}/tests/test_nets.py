import pytest
import tensorflow as tf

from deployment import checkpointing
from nets import nets_factory, print_net


def _images(spec, batch=2, channels=1):
    size = spec.default_image_size
    shape = [batch, size, size, channels] if size else [batch, 1]
    return tf.random.uniform(shape)


@pytest.mark.parametrize("name", sorted(nets_factory.networks_map))
def test_every_net_builds_with_logits_of_the_right_shape(name):
    spec = nets_factory.networks_map[name]
    num_classes = 1 if spec.task == "regression" else 7
    net = nets_factory.get_network(name, num_classes, weight_decay=1e-4)
    logits, end_points = net(_images(spec), training=False)
    assert logits.shape == (2, num_classes)
    assert end_points and all(isinstance(k, str) for k in end_points)
    assert net.losses, "weight decay should add regularization losses"
    checkpointing.check_checkpointable(net)


@pytest.mark.parametrize("name", sorted(nets_factory.networks_map))
def test_every_net_checkpoint_round_trips(tmp_path, name):
    spec = nets_factory.networks_map[name]
    images = _images(spec)
    net = nets_factory.get_network(name, 3)
    before, _ = net(images)
    path = tf.train.Checkpoint(model=net).write(str(tmp_path / "ckpt"))
    other = nets_factory.get_network(name, 3)
    other(images)
    tf.train.Checkpoint(model=other).read(path).assert_existing_objects_matched()
    after, _ = other(images)
    assert tf.reduce_max(tf.abs(after - before)) == 0.0


def test_lenet_end_points_and_training_switch():
    net = nets_factory.get_network("lenet", 10)
    images = tf.random.uniform([4, 28, 28, 1])
    logits, end_points = net(images, training=False)
    assert list(end_points)[:5] == ["conv1", "pool1", "conv2", "pool2", "Flatten"]
    assert end_points["pool2"].shape == (4, 7, 7, 64)
    assert end_points["Predictions"].shape == (4, 10)
    again, _ = net(images, training=False)
    assert tf.reduce_max(tf.abs(logits - again)) == 0.0
    dropped, _ = net(images, training=True)
    assert tf.reduce_max(tf.abs(logits - dropped)) > 0.0


def test_lenet_without_classes_returns_features():
    features, _ = nets_factory.get_network("lenet", 0)(tf.zeros([2, 28, 28, 1]))
    assert features.shape == (2, 1024)


def test_unknown_net_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown net 'resnet'; known nets: lenet, regression"):
        nets_factory.get_net_spec("resnet")


def test_a_layer_kept_in_a_list_is_refused():
    class Listed(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [tf.keras.layers.Dense(3), tf.keras.layers.Dense(2)]

        def call(self, x, training=False):
            for block in self.blocks:
                x = block(x)
            return x, {}

    net = Listed()
    net(tf.zeros([1, 4]))
    with pytest.raises(checkpointing.CheckpointError, match="would not save"):
        checkpointing.check_checkpointable(net)


def test_print_net_lists_layers_shapes_and_parameters():
    table = print_net.describe("lenet", num_classes=10)
    assert "conv1" in table and "(1, 28, 28, 32)" in table and "832" in table
    assert table.splitlines()[-1] == "lenet: 3,274,634 parameters"
