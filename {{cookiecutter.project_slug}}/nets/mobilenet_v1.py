"""MobileNet v1 (keras.applications' MobileNet), TF-Slim's ``mobilenet_v1``.

The end points are the pointwise convolutions 5, 11 and 13, then
``PreLogits`` and ``Logits``. ``--pretrained=imagenet`` starts from Keras'
ImageNet weights (input in [-1, 1], ``inception``). Keras' MobileNet is
TF-Slim's layer for layer (its padding is TF-Slim's SAME at even sizes, such
as 224), so TF-Slim's checkpoints (``mobilenet_v1_1.0_224.tgz``) load by
TF-Slim's names (``slim_scope``).
"""

from __future__ import annotations

import re

from tensorflow import keras

from nets import applications, recipes
from nets.mobilenet_v2 import MIN_IMAGE_SIZE
from nets.net_spec import NetSpec


def slim_scope(keras_name: str) -> str | None:
    """TF-Slim's scope of a layer of Keras' MobileNet (``conv_dw_3_bn`` -> ``Conv2d_3_depthwise/BatchNorm``),
    which is TF-Slim's net layer for layer."""
    found = re.fullmatch(r"conv1(_bn)?|conv_(dw|pw)_(\d+)(_bn)?", keras_name)
    if not found:
        return None
    first_bn, kind, index, batch_norm = found.groups()
    scope = f"Conv2d_{index}_{'depthwise' if kind == 'dw' else 'pointwise'}" if kind else "Conv2d_0"
    return scope + ("/BatchNorm" if first_bn or batch_norm else "")


mobilenet_v1 = applications.builder(
    keras.applications.MobileNet,
    ("conv_pw_5_relu", "conv_pw_11_relu", "conv_pw_13_relu"),
    "MobilenetV1",
    0.999,
    slim_scopes=applications.by_name(slim_scope),
)

NETS = {
    "mobilenet_v1": NetSpec(
        mobilenet_v1,
        224,
        "inception",
        recipe=recipes.RMSPROP,
        min_image_size=MIN_IMAGE_SIZE,
        slim_scope="MobilenetV1",
    )
}
