import numpy as np
import pytest
import tensorflow as tf

from errors import UserError
from preprocessing import preprocessing_factory


@pytest.mark.parametrize("name", list(preprocessing_factory.preprocessing_fn_map()))
@pytest.mark.parametrize("is_training", [True, False])
def test_every_preprocessing_returns_float32(name, is_training):
    fn = preprocessing_factory.get_preprocessing(name, is_training=is_training)
    image = tf.cast(tf.random.uniform([28, 28, 3], maxval=256, dtype=tf.int32), tf.uint8)
    out = fn(image, output_height=28, output_width=28)
    assert out.dtype == tf.float32
    assert out.shape == (28, 28, 3)


@pytest.mark.parametrize("name", ["cifarnet", "inception", "vgg"])
def test_augmentation_is_a_function_of_the_seed(name):
    fn = preprocessing_factory.get_preprocessing(name, is_training=True)
    image = tf.cast(tf.random.stateless_uniform([40, 40, 3], [1, 2], maxval=256, dtype=tf.int32), tf.uint8)
    a, b = (
        fn(image, output_height=32, output_width=32, seed=tf.constant([0, 7], tf.int64)) for _ in range(2)
    )
    c = fn(image, output_height=32, output_width=32, seed=tf.constant([0, 8], tf.int64))
    assert tf.reduce_all(a == b) and not tf.reduce_all(a == c)


def test_pretrained_inception_and_mobilenet_get_minus_one_to_one():
    image = tf.cast(tf.random.stateless_uniform([32, 32, 3], [5, 6], maxval=256, dtype=tf.int32), tf.uint8)
    ours = preprocessing_factory.get_preprocessing("inception")(image, output_height=32, output_width=32)
    cropped = tf.image.resize(
        tf.image.central_crop(tf.image.convert_image_dtype(image, tf.float32), 0.875), [32, 32]
    )
    for preprocess_input in (
        tf.keras.applications.mobilenet_v2.preprocess_input,
        tf.keras.applications.inception_v3.preprocess_input,
    ):
        np.testing.assert_allclose(ours.numpy(), preprocess_input(cropped.numpy() * 255.0), atol=1e-5)


def test_lenet_maps_pixels_to_minus_one_one():
    fn = preprocessing_factory.get_preprocessing("lenet")
    out = fn(tf.constant([[[0], [128], [255]]], tf.uint8), output_height=1, output_width=3)
    assert out.numpy().ravel().tolist() == [-1.0, 0.0, 127.0 / 128.0]


def test_lenet_resizes_images_of_another_size():
    fn = preprocessing_factory.get_preprocessing("lenet")
    assert fn(tf.zeros([200, 150, 1], tf.uint8), output_height=28, output_width=28).shape == (28, 28, 1)


def test_unknown_preprocessing_lists_the_known_ones():
    with pytest.raises(UserError, match="known: cifarnet, identity, inception, lenet, .*vgg"):
        preprocessing_factory.get_preprocessing("resnet")


@pytest.mark.parametrize("name", ["cifarnet", "inception", "vgg"])
def test_no_flips_for_data_whose_mirror_image_is_another_thing(name, mnist_dir):
    import train_flags
    from datasets import mnist

    split = mnist.get_split("train", mnist_dir)
    assert not split.mirror_invariant  # a mirrored 7 is no digit
    config = train_flags.settings(train_flags.parse(None, ["--dataset_name=mnist"]), split)
    assert config.random_flip is False
    fn = preprocessing_factory.get_preprocessing(name, is_training=True)
    # A left-right gradient: any flip would turn it around.
    image = tf.cast(tf.tile(tf.linspace(0.0, 255.0, 32)[None, :, None], [32, 1, 3]), tf.uint8)
    for k in range(20):
        seed = tf.constant([k, 1], tf.int64)
        out = fn(image, output_height=32, output_width=32, seed=seed, random_flip=False)
        columns = tf.reduce_mean(out, [0, 2])
        assert tf.reduce_mean(columns[16:]) > tf.reduce_mean(columns[:16]), k
