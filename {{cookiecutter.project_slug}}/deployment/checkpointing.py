"""Checkpoints that describe themselves.

Every checkpoint ``train.py`` writes holds, beside the net, the optimizer and
the step, a ``config`` string: the run record (``run_config.RunConfig``) of
the run that made it. ``eval.py``, ``infer.py`` and ``export.py`` rebuild the
net from that alone (``assembly.load_net``).

A checkpoint whose files were truncated, corrupted or lost (an interrupted
copy or sync) is *damaged*: reading it raises ``DamagedCheckpoint``, which
names it and the newest intact one before it. TensorFlow stores a checksum
of every tensor, so ``damage`` finds a flipped bit as well as a short file.
"""

from __future__ import annotations

import os
import re

import tensorflow as tf
from tensorflow import keras

from deployment.run_config import CheckpointError, RunConfig
from errors import cause

__all__ = [
    "CheckpointError",
    "DamagedCheckpoint",
    "damage",
    "newest_intact",
    "read_config",
    "resolve_checkpoint",
    "restore",
    "weights_checkpoint",
]


def _damage() -> tuple[type[Exception], ...]:
    """What reading a damaged checkpoint raises: a short data file is IndexError ("Read less bytes than
    requested"), a checksum mismatch DataLossError, a missing data file or a garbled index OpError. (A
    function: TensorFlow's classes are read when it is in use, not when flags are parsed.)"""
    return (tf.errors.OpError, IndexError)


class DamagedCheckpoint(CheckpointError):
    """A checkpoint whose files are truncated, corrupt or missing."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = path, reason
        older, _ = newest_intact(os.path.dirname(path), before=path)
        super().__init__(
            f"{path} is damaged ({reason}): its files were truncated, corrupted or removed after "
            "it was written. "
            + (
                f"The newest intact checkpoint before it is {older}: pass --checkpoint_path={older}."
                if older
                else "No intact checkpoint precedes it in that folder; train again or restore a copy."
            )
        )


def damage(path: str) -> str | None:
    """Why checkpoint ``path`` cannot be read in full, or None when every tensor reads back intact."""
    try:
        reader = tf.train.load_checkpoint(path)
    except ValueError:
        return None  # a file system that calls every prefix a directory (ram://): restore will tell
    except _damage() as e:
        return cause(e)
    try:
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except _damage() as e:
        return cause(e)
    return None


def newest_intact(directory: str, before: str | None = None) -> tuple[str | None, list[tuple[str, str]]]:
    """The newest intact checkpoint in ``directory`` (older than ``before``), and the damaged newer ones.

    Returns:
      ``(path or None, [(damaged path, reason), ...])``, newest first.
    """
    state = tf.train.get_checkpoint_state(directory)  # its paths joined to directory
    paths = list(state.all_model_checkpoint_paths) if state else []
    if state and state.model_checkpoint_path and state.model_checkpoint_path not in paths:
        paths.append(state.model_checkpoint_path)
    if before is not None:
        paths = paths[: paths.index(before)] if before in paths else []
    damaged = []
    for path in reversed(paths):
        reason = damage(path)
        if reason is None:
            return path, damaged
        damaged.append((path, reason))
    return None, damaged


# The files of one checkpoint beside its prefix: what a shell's tab completion gives for it.
_CHECKPOINT_FILE = re.compile(r"(\.index|\.data-\d{5}-of-\d{5}|\.meta)$")


def resolve_checkpoint(path: str) -> str:
    """Returns the checkpoint prefix for a prefix, any file of a checkpoint, or a directory (its latest).

    ``ckpt-30.index``, ``ckpt-30.data-00000-of-00001`` and TF-Slim's
    ``model.ckpt.meta`` (beside a V1 ``model.ckpt`` or a V2 ``model.ckpt.index``)
    all mean the checkpoint they belong to.

    Raises:
      CheckpointError: nothing there is a checkpoint.
    """
    # A prefix first: some file systems (ram://) call every prefix of a file name a directory.
    if tf.io.gfile.exists(path + ".index"):
        return path
    prefix = _CHECKPOINT_FILE.sub("", path)
    if prefix != path and (tf.io.gfile.exists(prefix + ".index") or _is_file(prefix)):
        return prefix
    if tf.io.gfile.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(
                f"no checkpoint in {path}: train first with "
                f"`python train.py --train_dir={path} ...`, or pass a checkpoint file."
            )
        return latest
    if _is_file(path):
        return path  # one file: TF1's V1 format, as TF-Slim's older model zoo checkpoints are
    raise CheckpointError(f"{path} is neither a checkpoint (no {path}.index) nor a directory holding one.")


def _is_file(path: str) -> bool:
    return tf.io.gfile.exists(path) and not tf.io.gfile.isdir(path)


def read_config(checkpoint: str) -> RunConfig:
    """Returns the run record stored in ``checkpoint`` (a resolved prefix), with its step."""
    # Read through tf.train.Checkpoint, which takes the prefix as it is (tf.train.load_checkpoint
    # asks the file system whether it is a directory, and ram:// says yes to any prefix).
    text, step = tf.Variable("", dtype=tf.string), tf.Variable(0, dtype=tf.int64)
    try:
        status = tf.train.Checkpoint(config=text, step=step).read(checkpoint)
        status.expect_partial()
        status.assert_existing_objects_matched()
    except _damage() as e:
        raise DamagedCheckpoint(checkpoint, cause(e)) from e
    except ValueError as e:
        raise CheckpointError(f"{checkpoint} cannot be read ({str(e).splitlines()[0]})") from e
    except AssertionError as e:
        raise CheckpointError(
            f"{checkpoint} holds no run record: it was not written by this project's "
            "train.py, so the net it belongs to is unknown. A TF-Slim model zoo checkpoint "
            "starts a run with `train.py --model_name=NET --checkpoint_path=...`."
        ) from e
    try:
        return RunConfig.from_json(text.numpy().decode("utf-8"), int(step.numpy()))
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{checkpoint} holds a run record this version cannot read ({e})") from e


def restore(checkpoint: tf.train.Checkpoint, path: str, config: RunConfig, partial: bool) -> None:
    """Restores ``path`` into ``checkpoint``, turning shape mismatches into a clear error.

    Args:
      checkpoint: What to restore into (its variables must exist already).
      path: A resolved checkpoint prefix.
      config: The record the caller built the net from, for the message.
      partial: Allow the checkpoint to hold more than ``checkpoint`` (e.g. the
        optimizer, when only the net is restored).
    """
    try:
        status = checkpoint.read(path)
        if partial:
            status.expect_partial()
        status.assert_existing_objects_matched()
    except _damage() as e:
        raise DamagedCheckpoint(path, cause(e)) from e
    except (ValueError, AssertionError) as e:
        raise CheckpointError(
            f"{path} does not match net {config.model_name!r} with "
            f"{config.num_classes} outputs at input shape {config.input_shape}: {e}"
        ) from e


def weights_checkpoint(net: keras.Model, config: RunConfig) -> tf.train.Checkpoint:
    """What to restore a net's weights from: the moving average when the run kept one."""
    if config.moving_average_decay:
        return tf.train.Checkpoint(ema_model=net)
    return tf.train.Checkpoint(model=net)


def random_states(net: keras.Model) -> list[tf.Variable]:
    """The state of every random generator in the net (dropout's), in a fixed order.

    Keras keeps them outside the net's weights, where tf.train.Checkpoint does
    not look; training saves them so that a resumed run draws the same dropout
    masks as one that never stopped.
    """
    return [v for v in net.variables if v.path.endswith("seed_generator_state")]


def checkpoint_dir(path: str) -> str:
    """The directory a checkpoint prefix (or directory) lives in."""
    return os.path.dirname(path) if tf.io.gfile.exists(path + ".index") else path
