"""Maps net names to one record each: builder, default size, preprocessing, task, training recipe.

To add a net, write ``nets/<name>.py`` with a ``keras.Model`` whose call
returns ``(outputs, end_points)``, and add its record to ``networks_map``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from tensorflow import keras

from errors import UserError
from nets import (
    applications,
    cifarnet,
    convnets,
    lenet,
    regression,
    ssd_mobilenet_v2,
    ssd_small,
    ssd_vgg_300,
)
from tasks import classification, detection
from tasks import regression as regression_task
from tasks.box_utils import AnchorSpec


@dataclasses.dataclass(frozen=True)
class NetSpec:
    """Everything the rest of the project needs to know about one net.

    Attributes:
      builder: ``builder(num_classes=..., weight_decay=...)`` returns the model.
      default_image_size: Input height and width (None for feature vectors).
      default_preprocessing: Name in ``preprocessing_factory``.
      task: The task it serves (a name in ``tasks.tasks_factory``).
      recipe: ``train.py`` flag values that train this net from scratch, used
        where the flag is not given (e.g. ``{"optimizer": "rmsprop",
        "learning_rate": 0.01, "opt_epsilon": 1.0}``).
      pretrained_preprocessing: The preprocessing its published ImageNet
        weights expect, used with ``--pretrained`` (None: the default one).
      anchors: A detection net's anchors (``tasks.box_utils.AnchorSpec``).
      min_image_size: The smallest input side it trains reliably at (None: any
        size it accepts). train.py warns below it; the learn tests and the zoo
        train at it.
    """

    builder: Callable[..., keras.Model]
    default_image_size: int | None
    default_preprocessing: str
    task: str = classification.NAME
    recipe: Mapping = dataclasses.field(default_factory=dict)
    pretrained_preprocessing: str | None = None
    anchors: AnchorSpec | None = None
    min_image_size: int | None = None


# Recipes: train.py's defaults per net, measured with benchmarks/zoo.py (500 steps at batch 32 from
# scratch on real digits; the README has the table). All but TF-Slim's SGD warm up and then follow a
# cosine to the run's last step (give --max_number_of_steps), which is what made short runs land.
_SGD = {"optimizer": "momentum", "learning_rate": 0.01}  # LeNet, CifarNet: TF-Slim's, as they were
# Deep nets without batch norm: at TF-Slim's SGD rates they never moved from chance (or diverged).
# Adam at 5e-4 (eval accuracy: VGG 16 0.934, AlexNet 0.918) did as well as 1e-3 and beat 2e-4 (0.909).
_NO_BATCH_NORM = {
    "optimizer": "adam",
    "learning_rate": 0.0005,
    "warmup_epochs": 0.1,
    "learning_rate_decay_type": "cosine",
}
# With batch norm, whose moving statistics (what eval and serving use) keep up with short runs
# at PyTorch's decay of 0.9, not Keras' 0.99 or MobileNet v2's 0.999.
_ADAM = {**_NO_BATCH_NORM, "learning_rate": 0.001, "batch_norm_decay": 0.9}
# TF-Slim's RMSProp for the MobileNets: epsilon 1.0 is what kept it stable (Keras' 1e-7 jumped to
# losses of 10-30 in the first steps). TF-Slim trained Inception with it too; here Adam did better
# in short runs (0.97 against 0.93 eval accuracy in the zoo run).
_RMSPROP = {**_ADAM, "optimizer": "rmsprop", "learning_rate": 0.01, "opt_epsilon": 1.0, "momentum": 0.9,
            "rmsprop_decay": 0.9, "warmup_epochs": 0.2}  # fmt: skip
_SSD = {**_ADAM, "warmup_epochs": 1.0}
# The MobileNets reach stride 32 in their last stages. At 32 pixels those stages run on 1x1 maps, where
# batch norm normalizes each channel over only the batch's examples (16 in the tests) and a depthwise
# 3x3 sees its centre tap alone: training jumped to losses of 4-6 and learned on one CPU's kernels but
# not another's (MobileNet v2, 200 steps at batch 16 on 600 digits: held-out accuracy 0.23-0.49 over
# three seeds and two ISAs). At 48 pixels (2x2 maps) the same runs reached 0.81-0.97.
_SMALLEST_STRIDE_32 = 48

networks_map: dict[str, NetSpec] = {
    "lenet": NetSpec(lenet.LeNet, 28, "lenet", recipe=_SGD),
    "cifarnet": NetSpec(cifarnet.CifarNet, 32, "cifarnet", recipe=_SGD),
    "alexnet_v2": NetSpec(convnets.AlexNetV2, 224, "vgg", recipe=_NO_BATCH_NORM),
    "vgg_a": NetSpec(convnets.VggA, 224, "vgg", recipe=_NO_BATCH_NORM),
    "vgg_16": NetSpec(
        applications.vgg_16, 224, "vgg", recipe=_NO_BATCH_NORM, pretrained_preprocessing="vgg_caffe"
    ),
    "vgg_19": NetSpec(
        applications.vgg_19, 224, "vgg", recipe=_NO_BATCH_NORM, pretrained_preprocessing="vgg_caffe"
    ),
    "inception_v3": NetSpec(
        applications.inception_v3,
        299,
        "inception",
        recipe={**_ADAM, "learning_rate": 0.002},
        min_image_size=75,  # keras.applications refuses smaller inputs
    ),
    "resnet_v1_50": NetSpec(
        applications.resnet_v1_50, 224, "vgg", recipe=_ADAM, pretrained_preprocessing="vgg_caffe"
    ),
    "resnet_v1_101": NetSpec(
        applications.resnet_v1_101, 224, "vgg", recipe=_ADAM, pretrained_preprocessing="vgg_caffe"
    ),
    "resnet_v1_152": NetSpec(
        applications.resnet_v1_152, 224, "vgg", recipe=_ADAM, pretrained_preprocessing="vgg_caffe"
    ),
    "resnet_v2_50": NetSpec(applications.resnet_v2_50, 224, "inception", recipe=_ADAM),
    "resnet_v2_101": NetSpec(applications.resnet_v2_101, 224, "inception", recipe=_ADAM),
    "resnet_v2_152": NetSpec(applications.resnet_v2_152, 224, "inception", recipe=_ADAM),
    "mobilenet_v1": NetSpec(
        applications.mobilenet_v1, 224, "inception", recipe=_RMSPROP, min_image_size=_SMALLEST_STRIDE_32
    ),
    "mobilenet_v2": NetSpec(
        applications.mobilenet_v2, 224, "inception", recipe=_RMSPROP, min_image_size=_SMALLEST_STRIDE_32
    ),
    "ssd_small": NetSpec(ssd_small.SSDSmall, 300, "ssd", detection.NAME, _SSD, anchors=ssd_small.ANCHORS),
    "ssd_mobilenet_v2": NetSpec(
        ssd_mobilenet_v2.SSDMobileNetV2, 300, "ssd", detection.NAME, _SSD, anchors=ssd_mobilenet_v2.ANCHORS
    ),
    "ssd_vgg_300": NetSpec(
        ssd_vgg_300.ssd_vgg_300,
        300,
        "ssd_vgg",
        detection.NAME,
        {**_SSD, "learning_rate": 0.0001},
        anchors=ssd_vgg_300.ANCHORS,
    ),
    "regression": NetSpec(
        regression.Regression,
        None,
        "identity",
        regression_task.NAME,
        recipe={"optimizer": "adam", "learning_rate": 0.003},
    ),
}


def get_net_spec(name: str) -> NetSpec:
    """Returns the record of net ``name``.

    Raises:
      UserError: ``name`` is unknown; the message lists the known names.
    """
    if name not in networks_map:
        raise UserError(f"unknown net {name!r}; known nets: {', '.join(sorted(networks_map))}.")
    return networks_map[name]


def get_network(name: str, num_classes: int, weight_decay: float = 0.0, **options) -> keras.Model:
    """Builds net ``name`` (its variables are created on its first call).

    Args:
      name: A key of ``networks_map``.
      num_classes: Logits per example; 0 returns the features before them.
      weight_decay: L2 coefficient on the weights (TF-Slim's semantics).
      **options: Passed to the builder, e.g. ``weights="imagenet"`` for the
        keras.applications nets.

    Raises:
      UserError: unknown name, or an option the net does not take.
    """
    builder = get_net_spec(name).builder
    try:
        return builder(num_classes=num_classes, weight_decay=weight_decay, **options)
    except TypeError as e:
        raise UserError(f"net {name!r} does not take {', '.join(options)}: {e}") from e
