"""Inception v3 (keras.applications' InceptionV3), TF-Slim's ``inception_v3``.

The end points are ``mixed2``, ``mixed7`` and ``mixed10``, then ``PreLogits``
and ``Logits``. ``--pretrained=imagenet`` starts from Keras' ImageNet
weights (input in [-1, 1], ``inception``).
"""

from __future__ import annotations

from tensorflow import keras

from nets import applications, recipes
from nets.net_spec import NetSpec

inception_v3 = applications.builder(
    keras.applications.InceptionV3, ("mixed2", "mixed7", "mixed10"), "InceptionV3"
)

NETS = {
    "inception_v3": NetSpec(
        inception_v3,
        299,
        "inception",
        recipe={**recipes.ADAM, "learning_rate": 0.002},
        min_image_size=75,  # keras.applications refuses smaller inputs
    )
}
