"""TF-Slim's own nets, the reference for its checkpoints (a subprocess of the tests; nothing else imports it).

    python tests/slim_reference.py OUT NET:BUILDER:SIZE:CLASSES:FORMAT ...

For each net: builds it with TF-Slim in graph mode, gives every variable
random values (biases too: TF-Slim starts them at constants, which would hide
a wrong mapping), saves them with ``tf.compat.v1.train.Saver`` (the model
zoo's format: ``v1`` one ``.ckpt`` file, ``v2`` index and data) to
``OUT/NET/model.ckpt``, and writes the logits of a fixed input
(``images.npy``, ``logits.npy``). BUILDER is ``lenet`` or ``cifarnet``
(written here from TF-Slim's research/slim/nets, which the tf-slim package
lacks) or a dotted path into ``tf_slim.nets``, e.g. ``resnet_v1.resnet_v1_50``.

Needs the tf-slim package (requirements-dev.txt). Its layers are TensorFlow's legacy
layers, which TF 2.21 still has, except batch norm's, now in tf-keras; tf-keras would pull
the whole ``tensorflow`` package in beside ``tensorflow-cpu``, so TF-Slim's ``batch_norm``
is replaced here by its inference form (moving statistics) with TF-Slim's variable names.
"""

import importlib
import os
import sys

import numpy as np
import tensorflow as tf
import tf_slim as slim
import tf_slim.layers as slim_layers_package
from tf_slim.layers import layers as slim_layers_module

tf.compat.v1.disable_eager_execution()


def lenet(images, num_classes, is_training=False):
    with tf.compat.v1.variable_scope("LeNet"):
        net = slim.max_pool2d(slim.conv2d(images, 32, [5, 5], scope="conv1"), [2, 2], 2)
        net = slim.max_pool2d(slim.conv2d(net, 64, [5, 5], scope="conv2"), [2, 2], 2)
        net = slim.fully_connected(slim.flatten(net), 1024, scope="fc3")
        return slim.fully_connected(net, num_classes, activation_fn=None, scope="fc4"), {}


def cifarnet(images, num_classes, is_training=False):
    def lrn(net):
        return tf.nn.lrn(net, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75)

    with tf.compat.v1.variable_scope("CifarNet"):
        net = lrn(slim.max_pool2d(slim.conv2d(images, 64, [5, 5], scope="conv1"), [2, 2], 2))
        net = slim.max_pool2d(lrn(slim.conv2d(net, 64, [5, 5], scope="conv2")), [2, 2], 2)
        net = slim.fully_connected(slim.flatten(net), 384, scope="fc3")
        net = slim.fully_connected(net, 192, scope="fc4")
        return slim.fully_connected(net, num_classes, activation_fn=None, scope="logits"), {}


@slim.add_arg_scope
def batch_norm(inputs, center=True, scale=False, epsilon=0.001, activation_fn=None, scope=None, **unused):
    """TF-Slim's batch_norm at inference: ``BatchNorm/{beta,gamma,moving_mean,moving_variance}``."""
    with tf.compat.v1.variable_scope(scope, "BatchNorm", [inputs]):
        depth = [inputs.shape[-1]]
        variable = tf.compat.v1.get_variable
        beta = variable("beta", depth, initializer=tf.compat.v1.zeros_initializer()) if center else None
        gamma = variable("gamma", depth, initializer=tf.compat.v1.ones_initializer()) if scale else None
        mean = variable("moving_mean", depth, initializer=tf.compat.v1.zeros_initializer(), trainable=False)
        var = variable("moving_variance", depth, initializer=tf.compat.v1.ones_initializer(), trainable=False)
        outputs = tf.nn.batch_normalization(inputs, mean, var, beta, gamma, epsilon)
        return activation_fn(outputs) if activation_fn else outputs


# Every name TF-Slim's nets reach batch_norm by, before any net or arg scope is built.
slim.batch_norm = slim_layers_package.batch_norm = slim_layers_module.batch_norm = batch_norm


def builder(path):
    if path in ("lenet", "cifarnet"):
        return globals()[path], None
    module, function = path.rsplit(".", 1)
    module = importlib.import_module(f"tf_slim.nets.{module}")
    scopes = [n for n in dir(module) if n.endswith("_arg_scope") and n != "add_arg_scope"]
    return getattr(module, function), getattr(module, scopes[0])


def write_reference(out, name, build_path, size, classes, version):
    build, arg_scope = builder(build_path)
    channels = 1 if build_path == "lenet" else 3
    images = np.random.RandomState(0).uniform(-1, 1, [2, size, size, channels]).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        inputs = tf.compat.v1.placeholder(tf.float32, images.shape)
        if arg_scope:
            with slim.arg_scope(arg_scope()):
                logits, _ = build(inputs, num_classes=classes, is_training=False)
        else:
            logits, _ = build(inputs, classes, is_training=False)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            ranges = {"biases:0": (-0.1, 0.1), "beta:0": (-0.1, 0.1), "moving_mean:0": (-0.1, 0.1),
                      "moving_variance:0": (0.5, 1.5), "gamma:0": (0.1, 0.4)}  # fmt: skip
            # Small scales: deep nets' logits stay near 1, not 1e4 (where float32's noise alone is 0.04).
            session.run([
                v.assign(tf.random.uniform(v.shape, *ranges[suffix], seed=i))
                for i, v in enumerate(tf.compat.v1.global_variables())
                for suffix in ranges if v.name.endswith(suffix)
            ])  # fmt: skip
            os.makedirs(os.path.join(out, name), exist_ok=True)
            saver = tf.compat.v1.train.Saver(
                write_version=getattr(tf.compat.v1.train.SaverDef, version.upper())
            )
            saver.save(session, os.path.join(out, name, "model.ckpt"), write_meta_graph=False)
            np.save(os.path.join(out, name, "images.npy"), images)
            np.save(os.path.join(out, name, "logits.npy"), session.run(logits, {inputs: images}))


if __name__ == "__main__":
    for spec in sys.argv[2:]:
        net_name, build_path, size, num_classes, fmt = spec.split(":")
        write_reference(sys.argv[1], net_name, build_path, int(size), int(num_classes), fmt)
