"""Seeds for stateless random augmentation.

Every training example comes with its own seed (a [2] integer tensor derived
from the run's --seed and the example's position in the stream), and each
random choice of a preprocessing function takes a seed split from it. The
same example at the same position is therefore augmented the same way in
every run and after every resume, and no random state needs saving.
"""

from __future__ import annotations

import tensorflow as tf


def split(seed: tf.Tensor | None, count: int) -> list[tf.Tensor]:
    """``count`` independent seeds from ``seed`` (None: a fixed seed, for calls outside training)."""
    if seed is None:
        seed = tf.constant([0, 0], tf.int64)
    return list(tf.unstack(tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=count)))
