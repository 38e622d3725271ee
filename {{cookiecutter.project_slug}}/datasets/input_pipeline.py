"""tf.data pipelines from a ``DatasetSplit`` to batches of preprocessed examples.

Training input is a pure function of (seed, position). Each epoch reads the
split's records in blocks of up to 10,000 and permutes every block with a
stateless shuffle keyed by (seed, epoch, block), so training that resumes at
example ``k`` rebuilds exactly the stream it stopped in, without storing a
shuffle buffer in the checkpoint, and whatever global seed is set. Records are
skipped before they are decoded: resuming costs at most one pass over one
epoch's raw records. (Converters write shards round-robin from shuffled
sources, so a block is a fair sample of the split.)
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import tensorflow as tf

from datasets.dataset_utils import DatasetSplit

_SHUFFLE_BLOCK = 10_000


def train_dataset(
    split: DatasetSplit,
    preprocess: Callable[[tf.Tensor], tf.Tensor],
    batch_size: int,
    seed: int = 0,
    start_example: int = 0,
) -> tf.data.Dataset:
    """Endless shuffled batches ``(images, labels)``, starting at ``start_example``.

    Args:
      split: What to read.
      preprocess: Maps one decoded image to the net's input.
      batch_size: The global batch size; the last partial batch of the stream
        never comes, so every batch is full.
      seed: Picks the order of every epoch.
      start_example: How many examples earlier runs consumed.
    """
    records = split.records()
    block_size = min(split.num_samples, _SHUFFLE_BLOCK)
    first_epoch, offset = divmod(start_example, split.num_samples)

    def epoch(index: tf.Tensor) -> tf.data.Dataset:
        def permute(block_index, block):
            key = tf.stack([tf.constant(seed, tf.int64), index * 1_000_003 + block_index])
            size = tf.shape(tf.nest.flatten(block)[0])[0]
            order = tf.random.experimental.stateless_shuffle(tf.range(size), seed=key)
            return tf.data.Dataset.from_tensor_slices(
                tf.nest.map_structure(lambda t: tf.gather(t, order), block)
            )

        return records.batch(block_size).enumerate().flat_map(permute)

    dataset = tf.data.Dataset.range(first_epoch, sys.maxsize).flat_map(epoch).skip(offset)
    return _decode_and_batch(dataset, split, preprocess, batch_size, drop_remainder=True)


def eval_dataset(
    split: DatasetSplit, preprocess: Callable[[tf.Tensor], tf.Tensor], batch_size: int
) -> tf.data.Dataset:
    """Every example of the split once, in order; the last batch may be smaller."""
    return _decode_and_batch(split.records(), split, preprocess, batch_size, drop_remainder=False)


def _decode_and_batch(dataset, split, preprocess, batch_size, drop_remainder):
    def decode(*record):
        image, label = split.decode(*record)
        return preprocess(image), label

    return (
        dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size, drop_remainder=drop_remainder)
        .prefetch(tf.data.AUTOTUNE)
    )
