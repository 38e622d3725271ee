"""AlexNet v2 as TF-Slim built it (default input 224x224): its checkpoints load into it.

Five convolutions (11x11/4 VALID, 5x5, three 3x3) with 3x3/2 pools, then
TF-Slim's fully connected head (fc6 5x5 -> dropout -> fc7 -> dropout -> fc8),
shared with VGG (``vgg.ConvNetWithFcHead``), and TF-Slim's initialisers.
"""

from __future__ import annotations

from nets.net_spec import NetSpec
from nets.vgg import NO_BATCH_NORM, ConvNetWithFcHead

# (TF-Slim scope, filters, kernel, stride, padding) per conv; strings are 3x3/2 pools.
_ALEXNET_V2 = [
    ("conv1", 64, 11, 4, "valid"), "pool1", ("conv2", 192, 5, 1, "same"), "pool2",
    ("conv3", 384, 3, 1, "same"), ("conv4", 384, 3, 1, "same"), ("conv5", 256, 3, 1, "same"), "pool5",
]  # fmt: skip


class AlexNetV2(ConvNetWithFcHead):
    """AlexNet v2 (TF-Slim's ``alexnet_v2``)."""

    layout = _ALEXNET_V2
    pool_size = 3
    fc6_kernel = 5
    fc_stddev, bias_start = 0.005, 0.1  # TF-Slim's alexnet_v2 initialisers

    def __init__(self, num_classes=1000, weight_decay=0.0, dropout_keep_prob=0.5, name="alexnet_v2"):
        super().__init__(num_classes, weight_decay, dropout_keep_prob, name)


NETS = {"alexnet_v2": NetSpec(AlexNetV2, 224, "vgg", recipe=NO_BATCH_NORM, slim_scope="alexnet_v2")}
