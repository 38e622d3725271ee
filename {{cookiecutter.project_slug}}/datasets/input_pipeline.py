"""tf.data pipelines from a ``DatasetSplit`` to batches of preprocessed examples.

Training input is a pure function of (seed, position). Each epoch reads the
split's records in blocks of up to 10,000 and permutes every block with a
stateless shuffle keyed by (seed, epoch, block), so training that resumes at
example ``k`` rebuilds exactly the stream it stopped in, without storing a
shuffle buffer in the checkpoint, and whatever global seed is set. Records are
skipped before they are decoded: resuming costs at most one pass over one
epoch's raw records. (Converters write shards round-robin from shuffled
sources, so a block is a fair sample of the split.)

With several workers, each reads its own share: whole shard files when there
are at least as many files as workers, else every worker reads all records
and keeps every N-th example (with a warning: that reads N times the data).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

import tensorflow as tf

from datasets.dataset_utils import DatasetSplit, shard_sizes

_SHUFFLE_BLOCK = 10_000
_CACHE_BUDGET_BYTES = 512 * 2**20


def train_dataset(
    split: DatasetSplit,
    preprocess: Callable[[tf.Tensor], tf.Tensor],
    batch_size: int,
    seed: int = 0,
    start_example: int = 0,
    num_workers: int = 1,
    worker_index: int = 0,
) -> tf.data.Dataset:
    """Endless shuffled batches ``(images, labels)``, starting at ``start_example``.

    Args:
      split: What to read.
      preprocess: Maps one decoded image to the net's input.
      batch_size: Examples per batch of this pipeline; the last partial batch
        of the stream never comes, so every batch is full.
      seed: Picks the order of every epoch.
      start_example: How many examples all workers together consumed before.
      num_workers: Input pipelines (one per worker) sharing the split.
      worker_index: This pipeline's index among them.
    """
    by_file = num_workers > 1 and len(split.files) >= num_workers
    if by_file:
        files = list(split.files[worker_index::num_workers])
        records = tf.data.TFRecordDataset(files)
        sizes = shard_sizes(split.num_samples, len(split.files))
        num_samples = sum(sizes[worker_index::num_workers])
        start_example //= num_workers  # every worker consumed the same share
    else:
        records, num_samples = split.records(), split.num_samples
        if num_workers > 1:
            warnings.warn(
                f"{split.dataset_name}/{split.split_name} has {len(split.files)} shard file(s) for "
                f"{num_workers} workers: each worker reads every record and keeps 1/{num_workers}. "
                "Convert with --num_shards of at least the number of workers to shard by file.",
                stacklevel=2,
            )
    block_size = min(num_samples, _SHUFFLE_BLOCK)
    first_epoch, offset = divmod(start_example, num_samples)
    # A split whose decoded images fit in memory is decoded once and kept: on
    # a CPU, decoding every epoch again takes cores from training.
    cached = _decoded_bytes(split, num_samples) <= _CACHE_BUDGET_BYTES
    if cached:
        records = records.map(split.decode, num_parallel_calls=tf.data.AUTOTUNE).cache()

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
    if num_workers > 1 and not by_file:
        dataset = dataset.shard(num_workers, worker_index)
    if cached:
        return _batch(
            dataset.map(lambda image, label: (preprocess(image), label), tf.data.AUTOTUNE), batch_size, True
        )
    return _decode_and_batch(dataset, split, preprocess, batch_size, drop_remainder=True)


def _decoded_bytes(split: DatasetSplit, num_samples: int) -> float:
    """Memory the decoded images would take; unknown sizes count as too many."""
    if not split.files or None in split.image_shape:
        return float("inf")
    pixels = 1
    for dim in split.image_shape:
        pixels *= dim
    return num_samples * pixels


def eval_dataset(
    split: DatasetSplit, preprocess: Callable[[tf.Tensor], tf.Tensor], batch_size: int
) -> tf.data.Dataset:
    """Every example of the split once, in order; the last batch may be smaller."""
    return _decode_and_batch(split.records(), split, preprocess, batch_size, drop_remainder=False)


def _decode_and_batch(dataset, split, preprocess, batch_size, drop_remainder):
    def decode(*record):
        image, label = split.decode(*record)
        return preprocess(image), label

    return _batch(dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE), batch_size, drop_remainder)


def _batch(dataset, batch_size, drop_remainder):
    return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
