"""Optimizers and learning-rate schedules from ``OptimizerSettings`` (TF-Slim's names, Keras 3 optimizers).

Schedules are counted in epochs of the training split, as in TF-Slim, and
may start with a linear warm-up. The learning rate is always a schedule
object, never a number: Keras stores a number as a variable in the
checkpoint, and a resumed run would then silently keep the old rate instead
of the one it was given.
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow import keras

from deployment.run_config import OPTIMIZERS, OptimizerSettings


class Constant(keras.optimizers.schedules.LearningRateSchedule):
    """A fixed learning rate, as a schedule (see the module docstring)."""

    def __init__(self, rate: float):
        self.rate = rate

    def __call__(self, step):
        return tf.constant(self.rate, tf.float32)

    def get_config(self):
        return {"rate": self.rate}


class WarmUp(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 over ``warmup_steps``, then ``schedule`` (counted from the warm-up's end)."""

    def __init__(self, schedule, warmup_steps: int, peak: float):
        self.schedule, self.warmup_steps, self.peak = schedule, warmup_steps, peak

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak * (step + 1) / max(self.warmup_steps, 1)
        return tf.where(
            step < self.warmup_steps, warm, self.schedule(tf.maximum(step - self.warmup_steps, 0))
        )

    def get_config(self):
        return {"warmup_steps": self.warmup_steps, "peak": self.peak}


def learning_rate(settings: OptimizerSettings, steps_per_epoch: float, max_steps: int | None = None):
    """The schedule ``settings.learning_rate_decay_type`` names, in steps of the global batch.

    Args:
      settings: The optimizer settings.
      steps_per_epoch: Steps of the global batch in one epoch of the training split.
      max_steps: The run's last step; a cosine schedule ends there (without one,
        after ``num_epochs_per_decay`` epochs).
    """
    lr = settings.learning_rate
    decay_steps = max(1, int(steps_per_epoch * settings.num_epochs_per_decay))
    warmup_steps = int(steps_per_epoch * settings.warmup_epochs)
    kind = settings.learning_rate_decay_type
    if kind == "fixed":
        schedule = Constant(lr)
    elif kind == "exponential":
        schedule = keras.optimizers.schedules.ExponentialDecay(
            lr, decay_steps, settings.learning_rate_decay_factor, staircase=True
        )
    elif kind == "polynomial":
        schedule = keras.optimizers.schedules.PolynomialDecay(
            lr, decay_steps, settings.end_learning_rate, power=1.0
        )
    else:  # cosine: to end_learning_rate over the run
        total = (max_steps - warmup_steps) if max_steps else decay_steps
        alpha = settings.end_learning_rate / lr if lr else 0.0
        schedule = keras.optimizers.schedules.CosineDecay(lr, max(1, total), alpha=alpha)
    return WarmUp(schedule, warmup_steps, lr) if warmup_steps else schedule


def make_optimizer(settings: OptimizerSettings, lr) -> keras.optimizers.Optimizer:
    """Optimizer ``settings.optimizer`` at learning rate (or schedule) ``lr``."""
    s = settings
    common = {"global_clipnorm": s.clip_gradient_norm or None}
    name = s.optimizer
    if name == "sgd":
        return keras.optimizers.SGD(lr, **common)
    if name == "momentum":
        return keras.optimizers.SGD(lr, momentum=s.momentum, **common)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(
            lr, rho=s.rmsprop_decay, momentum=s.momentum, epsilon=s.opt_epsilon, **common
        )
    if name == "adam":
        return keras.optimizers.Adam(
            lr, beta_1=s.adam_beta1, beta_2=s.adam_beta2, epsilon=s.opt_epsilon, **common
        )
    if name == "adamw":
        return keras.optimizers.AdamW(
            lr, weight_decay=s.adamw_weight_decay, beta_1=s.adam_beta1, beta_2=s.adam_beta2,
            epsilon=s.opt_epsilon, **common,
        )  # fmt: skip
    if name == "adagrad":
        return keras.optimizers.Adagrad(
            lr, initial_accumulator_value=s.adagrad_initial_accumulator_value, **common
        )
    if name == "adadelta":
        return keras.optimizers.Adadelta(lr, rho=s.adadelta_rho, epsilon=s.opt_epsilon, **common)
    if name == "ftrl":
        return keras.optimizers.Ftrl(
            lr, learning_rate_power=s.ftrl_learning_rate_power,
            initial_accumulator_value=s.ftrl_initial_accumulator_value,
            l1_regularization_strength=s.ftrl_l1, l2_regularization_strength=s.ftrl_l2, **common,
        )  # fmt: skip
    raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
