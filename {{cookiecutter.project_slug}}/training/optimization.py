"""Optimizers and learning-rate schedules from train.py's flags (TF-Slim's names, Keras 3 optimizers).

Schedules are counted in epochs of the training split, as in TF-Slim, and
may start with a linear warm-up.
"""

from __future__ import annotations

import argparse

import tensorflow as tf
from tensorflow import keras

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "ftrl")
DECAY_TYPES = ("fixed", "exponential", "polynomial", "cosine")


class WarmUp(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 over ``warmup_steps``, then ``schedule`` (counted from the warm-up's end)."""

    def __init__(self, schedule, warmup_steps: int, peak: float):
        self.schedule, self.warmup_steps, self.peak = schedule, warmup_steps, peak

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak * (step + 1) / max(self.warmup_steps, 1)
        after = (
            self.schedule(tf.maximum(step - self.warmup_steps, 0))
            if callable(self.schedule)
            else self.schedule
        )
        return tf.where(step < self.warmup_steps, warm, after)

    def get_config(self):
        return {"warmup_steps": self.warmup_steps, "peak": self.peak}


def learning_rate(args: argparse.Namespace, lr: float, steps_per_epoch: float):
    """The schedule ``--learning_rate_decay_type`` names, in steps of the global batch."""
    decay_steps = max(1, int(steps_per_epoch * args.num_epochs_per_decay))
    warmup_steps = int(steps_per_epoch * args.warmup_epochs)
    kind = args.learning_rate_decay_type
    if kind == "fixed":
        schedule = lr
    elif kind == "exponential":
        schedule = keras.optimizers.schedules.ExponentialDecay(
            lr, decay_steps, args.learning_rate_decay_factor, staircase=True
        )
    elif kind == "polynomial":
        schedule = keras.optimizers.schedules.PolynomialDecay(
            lr, decay_steps, args.end_learning_rate, power=1.0
        )
    else:  # cosine: to end_learning_rate over the run (or num_epochs_per_decay epochs without a last step)
        total = (args.max_number_of_steps - warmup_steps) if args.max_number_of_steps else decay_steps
        schedule = keras.optimizers.schedules.CosineDecay(
            lr, max(1, total), alpha=args.end_learning_rate / lr
        )
    return WarmUp(schedule, warmup_steps, lr) if warmup_steps else schedule


def make_optimizer(name: str, lr, args: argparse.Namespace) -> keras.optimizers.Optimizer:
    """Optimizer ``name`` at learning rate (or schedule) ``lr``; its settings from the flags."""
    common = {"global_clipnorm": args.clip_gradient_norm or None}
    if name == "sgd":
        return keras.optimizers.SGD(lr, **common)
    if name == "momentum":
        return keras.optimizers.SGD(lr, momentum=args.momentum, **common)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(
            lr, rho=args.rmsprop_decay, momentum=args.momentum, epsilon=args.opt_epsilon, **common
        )
    if name == "adam":
        return keras.optimizers.Adam(
            lr, beta_1=args.adam_beta1, beta_2=args.adam_beta2, epsilon=args.opt_epsilon, **common
        )
    if name == "adamw":
        return keras.optimizers.AdamW(
            lr, weight_decay=args.adamw_weight_decay, beta_1=args.adam_beta1, beta_2=args.adam_beta2,
            epsilon=args.opt_epsilon, **common,
        )  # fmt: skip
    if name == "adagrad":
        return keras.optimizers.Adagrad(
            lr, initial_accumulator_value=args.adagrad_initial_accumulator_value, **common
        )
    if name == "adadelta":
        return keras.optimizers.Adadelta(lr, rho=args.adadelta_rho, epsilon=args.opt_epsilon, **common)
    return keras.optimizers.Ftrl(
        lr, learning_rate_power=args.ftrl_learning_rate_power,
        initial_accumulator_value=args.ftrl_initial_accumulator_value,
        l1_regularization_strength=args.ftrl_l1, l2_regularization_strength=args.ftrl_l2, **common,
    )  # fmt: skip


def add_flags(p: argparse.ArgumentParser) -> None:
    """train.py's optimization flags (TF-Slim's names where TF-Slim had them)."""
    p.add_argument("--optimizer", default=None, choices=OPTIMIZERS, help="Default: the net's own.")
    p.add_argument("--learning_rate", type=float, default=None, help="Default: the net's own.")
    p.add_argument("--learning_rate_decay_type", default="fixed", choices=DECAY_TYPES)
    p.add_argument("--learning_rate_decay_factor", type=float, default=0.94, help="For exponential decay.")
    p.add_argument("--num_epochs_per_decay", type=float, default=2.0, help="Epochs per decay step or period.")
    p.add_argument("--end_learning_rate", type=float, default=0.0001, help="For polynomial and cosine decay.")
    p.add_argument("--warmup_epochs", type=float, default=0.0, help="Linear warm-up before the schedule.")
    p.add_argument("--momentum", type=float, default=0.9, help="For momentum and rmsprop.")
    p.add_argument("--rmsprop_decay", type=float, default=0.9)
    p.add_argument("--adam_beta1", type=float, default=0.9)
    p.add_argument("--adam_beta2", type=float, default=0.999)
    p.add_argument("--adamw_weight_decay", type=float, default=0.004, help="AdamW's decoupled decay.")
    p.add_argument("--adagrad_initial_accumulator_value", type=float, default=0.1)
    p.add_argument("--adadelta_rho", type=float, default=0.95)
    p.add_argument("--ftrl_learning_rate_power", type=float, default=-0.5)
    p.add_argument("--ftrl_initial_accumulator_value", type=float, default=0.1)
    p.add_argument("--ftrl_l1", type=float, default=0.0)
    p.add_argument("--ftrl_l2", type=float, default=0.0)
    p.add_argument("--opt_epsilon", type=float, default=1e-7, help="For rmsprop, adam, adamw, adadelta.")
    p.add_argument(
        "--clip_gradient_norm", type=float, default=0.0, help="Clip gradients to this global norm (0: off)."
    )
    p.add_argument("--label_smoothing", type=float, default=0.0)
    p.add_argument(
        "--moving_average_decay",
        type=float,
        default=None,
        help="Keep a moving average of the weights with this decay; eval, infer and export use it.",
    )
