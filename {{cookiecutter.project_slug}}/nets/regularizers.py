"""Weight decay as TF-Slim defined it."""

from __future__ import annotations

from tensorflow import keras


def l2_regularizer(weight_decay: float) -> keras.regularizers.Regularizer | None:
    """TF-Slim's ``l2_regularizer``: ``weight_decay * sum(w ** 2) / 2``.

    Keras' L2 has no one-half, hence ``weight_decay / 2``. Returns None for 0
    so that a net without decay carries no regularization terms at all.
    """
    return keras.regularizers.L2(weight_decay / 2) if weight_decay else None
