"""MobileNet v2 (keras.applications' MobileNetV2), TF-Slim's ``mobilenet_v2``.

The end points are blocks 5 and 12 and the last activation, then
``PreLogits`` and ``Logits``. ``--pretrained=imagenet`` starts from Keras'
ImageNet weights (input in [-1, 1], ``inception``). Keras' MobileNetV2 is
TF-Slim's layer for layer (its padding is TF-Slim's SAME), so TF-Slim's
checkpoints (``mobilenet_v2_1.0_224.tgz``) load by TF-Slim's names
(``slim_scope``).
"""

from __future__ import annotations

import re

from tensorflow import keras

from nets import applications, recipes
from nets.net_spec import NetSpec

# The MobileNets reach stride 32 in their last stages. At 32 pixels those stages run on 1x1 maps, where
# batch norm normalizes each channel over only the batch's examples (16 in the tests) and a depthwise
# 3x3 sees its centre tap alone: training jumped to losses of 4-6 and learned on one CPU's kernels but
# not another's (MobileNet v2, 200 steps at batch 16 on 600 digits: held-out accuracy 0.23-0.49 over
# three seeds and two ISAs). At 48 pixels (2x2 maps) the same runs reached 0.81-0.97.
MIN_IMAGE_SIZE = 48


def slim_scope(keras_name: str) -> str | None:
    """TF-Slim's scope of a layer of Keras' MobileNetV2 (``block_3_project_BN`` ->
    ``expanded_conv_3/project/BatchNorm``), which is TF-Slim's net layer for layer."""
    fixed = {"Conv1": "Conv", "bn_Conv1": "Conv/BatchNorm", "Conv_1": "Conv_1",
             "Conv_1_bn": "Conv_1/BatchNorm"}  # fmt: skip
    if keras_name in fixed:
        return fixed[keras_name]
    found = re.fullmatch(r"(?:expanded_conv|block_(\d+))_(expand|depthwise|project)(_BN)?", keras_name)
    if not found:
        return None
    block, part, batch_norm = found.groups()
    return f"expanded_conv{'_' + block if block else ''}/{part}" + ("/BatchNorm" if batch_norm else "")


mobilenet_v2 = applications.builder(
    keras.applications.MobileNetV2, ("block_5_add", "block_12_add", "out_relu"), "MobilenetV2", 0.8,
    slim_scopes=applications.by_name(slim_scope),
)  # fmt: skip

NETS = {
    "mobilenet_v2": NetSpec(
        mobilenet_v2,
        224,
        "inception",
        recipe=recipes.RMSPROP,
        min_image_size=MIN_IMAGE_SIZE,
        slim_scope="MobilenetV2",
    )
}
