"""tf.data pipelines from a ``DatasetSplit`` to batches of (inputs, targets).

Training input is a pure function of (seed, position), read in parallel:

* Each epoch takes the split's shard files in an order drawn from (seed,
  epoch) and reads them in rounds of 16, the files of a round interleaved
  record by record (so a round of shards is read at once, in a fixed order).
* The stream is permuted in blocks by a stateless shuffle keyed by (seed,
  epoch, block). A block holds at most 32 MB of records (and at most 10,000),
  so the shuffle's memory does not grow with the size of a record; the next
  block is read while one is served.
* Every example's random augmentation is keyed by (seed, worker, position).

Shard order, rounds and blocks mix examples across shards, however a
converter (or another tool) ordered them. Training that resumes at example
``k`` rebuilds exactly the stream it stopped in, crops and flips included,
with nothing stored in the checkpoint but ``k``, and without reading the
epoch again: the rounds before ``k``'s are left out unopened (the shards'
record counts say where they end), and only ``k``'s round (16 shards) is
read from its start.

A split whose decoded images fit in 512 MB is decoded once and kept in
memory (decoding every epoch again takes cores from training); it is read in
the same rounds, in the files' own order.

With several workers, each reads its own share: whole shard files when there
are at least as many files as workers, else every worker reads all records
and keeps every N-th example (with a warning: that reads N times the data).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from datasets.converted import shard_sizes
from datasets.splits import DatasetSplit

CYCLE = 16  # shard files read at once
BLOCK_BYTES = 32 << 20  # what one shuffle block may hold
_MAX_BLOCK = 10_000
_CACHE_BUDGET_BYTES = 512 * 2**20

# (image, label, seed) -> (inputs, target) for training; (image, label) -> (inputs, labels) for eval.
TrainExampleFn = Callable[["tf.Tensor", "tf.Tensor", "tf.Tensor"], tuple]
EvalExampleFn = Callable[["tf.Tensor", "tf.Tensor"], tuple]


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
    files, sizes = list(split.files), shard_sizes(split.num_samples, len(split.files))
    by_file = num_workers > 1 and len(files) >= num_workers
    if by_file:
        files, sizes = files[worker_index::num_workers], sizes[worker_index::num_workers]
        start_example //= num_workers  # every worker consumed the same share
    elif num_workers > 1:
        warnings.warn(f"{split.dataset_name}/{split.split_name} has {len(files)} shard file(s) for "
                      f"{num_workers} workers: each worker reads every record and keeps 1/{num_workers}. "
                      "Convert with --num_shards of at least the number of workers to shard by file.",
                      stacklevel=2)  # fmt: skip
    num_samples = sum(sizes) if files else split.num_samples
    if files:
        # A split whose decoded images fit in memory is decoded once and kept: on
        # a CPU, decoding every epoch again takes cores from training.
        example_bytes = _example_bytes(split)
        cached = num_samples * example_bytes <= _CACHE_BUDGET_BYTES
        epoch_records, records_from = _shard_reader(files, sizes, seed, shuffle=not cached)
        record_bytes = (
            example_bytes if cached else sum(tf.io.gfile.stat(f).length for f in files) / num_samples
        )
    else:  # made in code, in memory: the same records every epoch
        cached, record_bytes, epoch_records = True, 0, lambda epoch: split.records()
        records_from = lambda epoch, k: split.records().skip(k)  # noqa: E731
    block = int(np.clip(BLOCK_BYTES // max(record_bytes, 1), 1, min(num_samples, _MAX_BLOCK)))
    first_epoch, offset = divmod(start_example, num_samples)

    def shuffled(records: tf.data.Dataset, epoch, first_block: int = 0) -> tf.data.Dataset:
        def permute(block_index, block_records):
            key = tf.stack([tf.constant(seed, tf.int64), tf.cast(epoch, tf.int64) * 1_000_003 + block_index])
            size = tf.shape(tf.nest.flatten(block_records)[0])[0]
            order = tf.random.experimental.stateless_shuffle(tf.range(size), seed=key)
            permuted = tf.nest.map_structure(lambda t: tf.gather(t, order), block_records)
            return tf.data.Dataset.from_tensor_slices(permuted)

        return records.batch(block).prefetch(1).enumerate(start=first_block).flat_map(permute)

    def decoded(records: tf.data.Dataset) -> tf.data.Dataset:  # kept in memory
        return records.map(lambda *r: split.decode(*r), num_parallel_calls=tf.data.AUTOTUNE)

    # The epoch it stopped in, from the start of the block it stopped in; then whole epochs.
    resumed = records_from(first_epoch, offset - offset % block)
    kept, resumed = (decoded(epoch_records(0)).cache(), decoded(resumed)) if cached else (None, resumed)
    later = tf.data.Dataset.range(first_epoch + 1, sys.maxsize).flat_map(
        lambda epoch: shuffled(kept if cached else epoch_records(epoch), epoch)
    )
    dataset = shuffled(resumed, first_epoch, offset // block).skip(offset % block).concatenate(later)
    dataset = dataset.enumerate(start=start_example)
    if num_workers > 1 and not by_file:
        dataset = dataset.shard(num_workers, worker_index)
    base_seed = tf.constant([seed, worker_index if by_file else 0], tf.int64)

    def example(position, record):
        image, label = record if cached else split.decode(record)
        return example_fn(image, label, tf.random.experimental.stateless_fold_in(base_seed, position))

    dataset = dataset.map(example, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _shard_reader(files: list[str], sizes: list[int], seed: int, shuffle: bool):
    """``epoch -> its records`` and ``(epoch, k) -> its records from the k-th on``.

    An epoch reads the files in an order drawn from (seed, epoch) (theirs when
    not ``shuffle``), in rounds of ``CYCLE`` files interleaved record by record.
    From the k-th record, the rounds before k's are left out unopened (their
    record counts are known) and k's round skips the records it gave before k.
    """
    cycle = min(CYCLE, len(files))

    def one_round(paths: tf.Tensor) -> tf.data.Dataset:
        return tf.data.Dataset.from_tensor_slices(paths).interleave(
            tf.data.TFRecordDataset, cycle_length=cycle, num_parallel_calls=cycle, deterministic=True
        )

    def rounds(paths) -> tf.data.Dataset:
        return tf.data.Dataset.from_tensor_slices(tf.convert_to_tensor(paths, tf.string)).batch(cycle)

    def order(epoch) -> tf.Tensor:
        indices = tf.range(len(files), dtype=tf.int64)
        key = tf.stack([tf.constant(seed, tf.int64), -1 - tf.cast(epoch, tf.int64)])
        return tf.random.experimental.stateless_shuffle(indices, seed=key) if shuffle else indices

    def records_from(epoch: int, start: int) -> tf.data.Dataset:
        indices = order(epoch).numpy()
        round_sizes = [sum(sizes[i] for i in indices[r : r + cycle]) for r in range(0, len(files), cycle)]
        r = int(np.searchsorted(np.cumsum(round_sizes), start, side="right"))  # the start-th record's
        later = rounds([files[i] for i in indices[r * cycle :]])
        return later.flat_map(one_round).skip(start - sum(round_sizes[:r]))

    return (lambda epoch: rounds(tf.gather(files, order(epoch))).flat_map(one_round)), records_from


def _example_bytes(split: DatasetSplit) -> float:
    """Bytes of one decoded example; infinite where shapes vary (such a split is not kept decoded)."""
    specs = tf.nest.flatten(split.records().map(split.decode).element_spec)
    fixed = all(s.shape.is_fully_defined() for s in specs)
    return sum(s.shape.num_elements() * s.dtype.size for s in specs) if fixed else float("inf")


def eval_dataset(split: DatasetSplit, example_fn: EvalExampleFn, batch_size: int) -> tf.data.Dataset:
    """Every example of the split once, in the split's order; the last batch may be smaller.

    Labels of varying length (a list of objects per image) are padded to the longest in
    their batch.
    """

    def example(*record):
        return example_fn(*split.decode(*record))

    dataset = split.records().map(example, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.padded_batch(batch_size).prefetch(tf.data.AUTOTUNE)
