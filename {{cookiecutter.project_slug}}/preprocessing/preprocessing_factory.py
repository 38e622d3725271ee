"""Maps preprocessing names to their functions.

Every function has TF-Slim's signature
``preprocess_image(image, output_height, output_width, is_training)`` plus
``seed``, the stateless seed of training's random augmentation. A net's
record in ``nets/nets_factory.py`` names its default preprocessing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import tensorflow as tf

from errors import UserError
from preprocessing import (
    cifarnet_preprocessing,
    identity_preprocessing,
    inception_preprocessing,
    lenet_preprocessing,
    ssd_preprocessing,
    ssd_vgg_preprocessing,
    vgg_preprocessing,
)

preprocessing_fn_map: dict[str, Callable[..., tf.Tensor]] = {
    "cifarnet": cifarnet_preprocessing.preprocess_image,
    "identity": identity_preprocessing.preprocess_image,
    "inception": inception_preprocessing.preprocess_image,
    "lenet": lenet_preprocessing.preprocess_image,
    "ssd": ssd_preprocessing.preprocess_image,
    "ssd_vgg": ssd_vgg_preprocessing.preprocess_image,
    "vgg": vgg_preprocessing.preprocess_image,
    "vgg_caffe": vgg_preprocessing.preprocess_image_caffe,
}


def get_preprocessing(name: str, is_training: bool = False) -> Callable[..., tf.Tensor]:
    """Returns ``fn(image, output_height, output_width, seed=None)`` for ``name``.

    Raises:
      UserError: ``name`` is unknown; the message lists the known names.
    """
    if name not in preprocessing_fn_map:
        raise UserError(f"unknown preprocessing {name!r}; known: {', '.join(sorted(preprocessing_fn_map))}.")
    return functools.partial(preprocessing_fn_map[name], is_training=is_training)
