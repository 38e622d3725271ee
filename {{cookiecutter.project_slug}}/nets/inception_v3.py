"""Inception v3 (keras.applications' InceptionV3), TF-Slim's ``inception_v3``.

The end points are ``mixed2``, ``mixed7`` and ``mixed10``, then ``PreLogits``
and ``Logits``. ``--pretrained=imagenet`` starts from Keras' ImageNet
weights (input in [-1, 1], ``inception``). Keras' InceptionV3 is TF-Slim's
layer for layer (without the auxiliary logits, which serve only training),
so TF-Slim's checkpoints (``inception_v3_2016_08_28.tar.gz``) load by
TF-Slim's names: ``inception_v3_scopes.txt`` lists the scope of each
convolution in the order both build them.
"""

from __future__ import annotations

import os
import re

from tensorflow import keras

from nets import applications, recipes
from nets.net_spec import NetSpec

SCOPES_FILE = os.path.join(os.path.dirname(__file__), "inception_v3_scopes.txt")


def slim_scopes(base: keras.Model) -> dict:
    """TF-Slim's scope of each convolution and batch norm of Keras' InceptionV3. Their names are Keras'
    defaults (``conv2d_17``), numbered in the order they were made, from wherever the count stood."""

    def made(kind):
        layers = [layer for layer in base.layers if isinstance(layer, kind)]
        return sorted(layers, key=lambda layer: int(re.search(r"(?:_(\d+))?$", layer.name).group(1) or 0))

    with open(SCOPES_FILE, encoding="utf-8") as f:
        scopes = f.read().split()
    convolutions = dict(zip(scopes, made(keras.layers.Conv2D), strict=True))
    norms = dict(zip((s + "/BatchNorm" for s in scopes), made(keras.layers.BatchNormalization), strict=True))
    return convolutions | norms


inception_v3 = applications.builder(
    keras.applications.InceptionV3, ("mixed2", "mixed7", "mixed10"), "InceptionV3", slim_scopes=slim_scopes
)

NETS = {
    "inception_v3": NetSpec(
        inception_v3,
        299,
        "inception",
        recipe={**recipes.ADAM, "learning_rate": 0.002},
        min_image_size=75,  # keras.applications refuses smaller inputs
        slim_scope="InceptionV3",
    )
}
