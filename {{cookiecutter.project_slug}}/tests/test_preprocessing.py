import pytest
import tensorflow as tf

from errors import UserError
from preprocessing import preprocessing_factory


@pytest.mark.parametrize("name", sorted(preprocessing_factory.preprocessing_fn_map))
@pytest.mark.parametrize("is_training", [True, False])
def test_every_preprocessing_returns_float32(name, is_training):
    fn = preprocessing_factory.get_preprocessing(name, is_training=is_training)
    image = tf.cast(tf.random.uniform([28, 28, 1], maxval=256, dtype=tf.int32), tf.uint8)
    out = fn(image, output_height=28, output_width=28)
    assert out.dtype == tf.float32
    assert out.shape == (28, 28, 1)


def test_lenet_maps_pixels_to_minus_one_one():
    fn = preprocessing_factory.get_preprocessing("lenet")
    out = fn(tf.constant([[[0], [128], [255]]], tf.uint8), output_height=1, output_width=3)
    assert out.numpy().ravel().tolist() == [-1.0, 0.0, 127.0 / 128.0]


def test_lenet_resizes_images_of_another_size():
    fn = preprocessing_factory.get_preprocessing("lenet")
    assert fn(tf.zeros([200, 150, 1], tf.uint8), output_height=28, output_width=28).shape == (28, 28, 1)


def test_unknown_preprocessing_lists_the_known_ones():
    with pytest.raises(UserError, match="known: cifarnet, identity, inception, lenet, vgg"):
        preprocessing_factory.get_preprocessing("resnet")
