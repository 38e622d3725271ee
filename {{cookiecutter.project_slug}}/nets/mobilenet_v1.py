"""MobileNet v1 (keras.applications' MobileNet), TF-Slim's ``mobilenet_v1``.

The end points are the pointwise convolutions 5, 11 and 13, then
``PreLogits`` and ``Logits``. ``--pretrained=imagenet`` starts from Keras'
ImageNet weights (input in [-1, 1], ``inception``).
"""

from __future__ import annotations

from tensorflow import keras

from nets import applications, recipes
from nets.mobilenet_v2 import MIN_IMAGE_SIZE
from nets.net_spec import NetSpec

mobilenet_v1 = applications.builder(
    keras.applications.MobileNet,
    ("conv_pw_5_relu", "conv_pw_11_relu", "conv_pw_13_relu"),
    "MobilenetV1",
    0.999,
)

NETS = {
    "mobilenet_v1": NetSpec(
        mobilenet_v1, 224, "inception", recipe=recipes.RMSPROP, min_image_size=MIN_IMAGE_SIZE
    )
}
