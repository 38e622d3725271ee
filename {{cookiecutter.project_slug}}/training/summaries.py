"""TensorBoard summaries of a run beyond the loss: its settings (HParams), and what the net sees."""

from __future__ import annotations

import tensorflow as tf

from deployment.run_config import RunConfig


def write_settings(config: RunConfig, step: int) -> None:
    """The run's settings in the HParams dashboard, so runs compare in one table (call under a writer)."""
    settings = {
        "model_name": config.model_name,
        "dataset_name": config.dataset_name,
        "image_size": config.image_size or 0,
        "batch_size": config.batch_size,
        "weight_decay": config.weight_decay,
        "batch_norm_decay": config.batch_norm_decay or 0.0,
        "moving_average_decay": config.moving_average_decay or 0.0,
        "mixed_precision": config.mixed_precision or "float32",
        "seed": config.seed,
        **{k: v for k, v in vars(config.optimizer).items() if isinstance(v, int | float | str)},
        **{k: v for k, v in config.task_options.items() if isinstance(v, int | float | str | bool)},
    }
    # Imported here: TensorBoard's hparams module uses TensorFlow as it loads, and train.py imports this
    # module before its flags are parsed (which --help answers without TensorFlow).
    from tensorboard.plugins.hparams import api as hparams_api

    hparams_api.hparams(settings, trial_id=None, start_time_secs=None)
    tf.summary.text("run_config", tf.constant(f"```\n{config.to_json()}\n```"), step=step)


def write_images(inputs: tf.Tensor, step: int, drawn: tf.Tensor | None = None, max_images: int = 6) -> None:
    """A few training inputs as images, each stretched to [0, 1] (or ``drawn``, e.g. with boxes)."""
    images = drawn if drawn is not None else inputs
    images = tf.cast(images[:max_images], tf.float32)
    if images.shape.rank != 4:
        return  # not images (feature vectors)
    low = tf.reduce_min(images, axis=[1, 2, 3], keepdims=True)
    high = tf.reduce_max(images, axis=[1, 2, 3], keepdims=True)
    tf.summary.image(
        "training_inputs", (images - low) / tf.maximum(high - low, 1e-6), step=step, max_outputs=max_images
    )
