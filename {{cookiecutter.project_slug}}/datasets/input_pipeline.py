"""tf.data pipelines from a ``DatasetSplit`` to batches of (inputs, targets).

Training input is a pure function of (seed, position). Each epoch reads the
split's records in blocks of up to 10,000 and permutes every block with a
stateless shuffle keyed by (seed, epoch, block); every example's random
augmentation is keyed by (seed, worker, position) too. So training that
resumes at example ``k`` rebuilds exactly the stream it stopped in, crops and
flips included, with nothing stored in the checkpoint but ``k``. Records are
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

from datasets.converted import shard_sizes
from datasets.splits import DatasetSplit

_SHUFFLE_BLOCK = 10_000
_CACHE_BUDGET_BYTES = 512 * 2**20

# (image, label, seed) -> (inputs, target) for training; (image, label) -> (inputs, labels) for eval.
TrainExampleFn = Callable[[tf.Tensor, tf.Tensor, tf.Tensor], tuple]
EvalExampleFn = Callable[[tf.Tensor, tf.Tensor], tuple]


def train_dataset(
    split: DatasetSplit,
    example_fn: TrainExampleFn,
    batch_size: int,
    seed: int = 0,
    start_example: int = 0,
    num_workers: int = 1,
    worker_index: int = 0,
) -> tf.data.Dataset:
    """Endless shuffled batches ``(inputs, targets)``, starting at ``start_example``.

    Args:
      split: What to read.
      example_fn: Maps one decoded ``(image, label)`` and a stateless seed [2]
        to the net's input and the loss's target.
      batch_size: Examples per batch of this pipeline; the last partial batch
        of the stream never comes, so every batch is full.
      seed: Picks the order of every epoch and every example's augmentation.
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
    cached = _fits_in_memory(split, num_samples)
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
    dataset = dataset.enumerate(start=start_example)
    if num_workers > 1 and not by_file:
        dataset = dataset.shard(num_workers, worker_index)
    base_seed = tf.constant([seed, worker_index if by_file else 0], tf.int64)

    def example(position, record):
        image, label = record if cached else split.decode(*_as_args(record))
        return example_fn(image, label, tf.random.experimental.stateless_fold_in(base_seed, position))

    dataset = dataset.map(example, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _as_args(record) -> tuple:
    return record if isinstance(record, tuple) else (record,)


def _fits_in_memory(split: DatasetSplit, num_samples: int) -> bool:
    """Whether the decoded split fits the cache budget, with shapes fixed enough to permute in blocks."""
    if not split.files:
        return False
    spec = split.records().map(split.decode).element_spec
    shapes = [s.shape for s in tf.nest.flatten(spec)]
    if not all(shape.is_fully_defined() for shape in shapes):
        return False
    return num_samples * sum(shape.num_elements() for shape in shapes) <= _CACHE_BUDGET_BYTES


def eval_dataset(split: DatasetSplit, example_fn: EvalExampleFn, batch_size: int) -> tf.data.Dataset:
    """Every example of the split once, in order; the last batch may be smaller.

    Labels of varying length (a list of objects per image) are padded to the longest in
    their batch.
    """

    def example(*record):
        return example_fn(*split.decode(*record))

    dataset = split.records().map(example, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.padded_batch(batch_size).prefetch(tf.data.AUTOTUNE)
