"""Maps preprocessing names to their functions: every ``PREPROCESSING`` of the modules here.

Every function has TF-Slim's signature
``preprocess_image(image, output_height, output_width, is_training)`` plus
``seed``, the stateless seed of training's random augmentation, and
``random_flip``. A net's record names its default preprocessing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import tensorflow as tf

import preprocessing
from errors import UserError
from registry import discover


@functools.cache
def preprocessing_fn_map() -> dict[str, Callable[..., tf.Tensor]]:
    """Preprocessing name -> function, from every module of this package that defines ``PREPROCESSING``."""
    return dict(
        sorted((k, v) for m in discover(preprocessing, "PREPROCESSING") for k, v in m.PREPROCESSING.items())
    )


def get_preprocessing(name: str, is_training: bool = False) -> Callable[..., tf.Tensor]:
    """Returns ``fn(image, output_height, output_width, seed=None)`` for ``name``.

    Raises:
      UserError: ``name`` is unknown; the message lists the known names.
    """
    if name not in preprocessing_fn_map():
        raise UserError(f"unknown preprocessing {name!r}; known: {', '.join(preprocessing_fn_map())}.")
    return functools.partial(preprocessing_fn_map()[name], is_training=is_training)
