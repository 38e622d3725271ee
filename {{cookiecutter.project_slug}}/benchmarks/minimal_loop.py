"""The bare training loop the benchmarks hold train.py against.

One ``tf.function`` running ``n`` steps of next batch, forward pass, loss,
gradients and update, with nothing else: no summaries, schedule, checkpoints
or votes. Its images/s is the ceiling train.py is measured against.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator

import tensorflow as tf


def images_per_second(
    net: tf.keras.Model,
    iterator: Iterator,
    loss_fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
    optimizer: tf.keras.optimizers.Optimizer,
    batch: int,
    steps: int,
    chunks: int,
) -> float:
    """Median images/s over ``chunks`` runs of ``steps`` steps, after one run that traces and warms up."""
    optimizer.build(net.trainable_variables)

    @tf.function
    def loop(n):
        for _ in tf.range(n):
            inputs, targets = next(iterator)
            with tf.GradientTape() as tape:
                outputs, _ = net(inputs, training=True)
                loss = loss_fn(targets, outputs)
            grads = tape.gradient(loss, net.trainable_variables)
            optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
        return loss

    loop(tf.constant(steps)).numpy()
    rates = []
    for _ in range(chunks):
        start = time.perf_counter()
        loop(tf.constant(steps)).numpy()
        rates.append(steps * batch / (time.perf_counter() - start))
    return statistics.median(rates)
