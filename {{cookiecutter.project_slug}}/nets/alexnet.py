"""AlexNet v2, with TF-Slim's topology (default input 224x224) and its initialisers.

Five convolutions (11x11/4, 5x5, three 3x3) with 3x3/2 pools, then TF-Slim's
fully connected head (fc6 4096 -> dropout -> fc7 4096 -> dropout -> Logits),
shared with VGG-A (``vgg.ConvNetWithFcHead``).
"""

from __future__ import annotations

from nets.net_spec import NetSpec
from nets.vgg import NO_BATCH_NORM, ConvNetWithFcHead

# (name, filters, kernel, stride) per conv; "pool" entries are 3x3/2 pools.
_ALEXNET_V2 = [
    ("conv1", 64, 11, 4), "pool1", ("conv2", 192, 5, 1), "pool2",
    ("conv3", 384, 3, 1), ("conv4", 384, 3, 1), ("conv5", 256, 3, 1), "pool5",
]  # fmt: skip


class AlexNetV2(ConvNetWithFcHead):
    """AlexNet v2 (TF-Slim's ``alexnet_v2``)."""

    layout = _ALEXNET_V2
    pool_size = 3
    fc_stddev, bias_start = 0.005, 0.1  # TF-Slim's alexnet_v2 initialisers

    def __init__(self, num_classes=1000, weight_decay=0.0, dropout_keep_prob=0.5, name="alexnet_v2"):
        super().__init__(num_classes, weight_decay, dropout_keep_prob, name)


NETS = {"alexnet_v2": NetSpec(AlexNetV2, 224, "vgg", recipe=NO_BATCH_NORM)}
