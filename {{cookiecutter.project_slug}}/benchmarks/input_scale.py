"""The input pipeline at ImageNet's scale: start-up, resume, eval start-up, steady rate, memory.

    python benchmarks/input_scale.py [--work_dir=DIR] [--records=1000000] [--jpeg_records=100000]

Writes, through the project's own ``DatasetWriter`` (once; kept in
--work_dir): 10,000 and --records small PNG digits (28x28, 1,024 shards for
the large one) and --jpeg_records JPEGs of about 90 KB (500x375, 256 shards,
8.6 GB). Then, each measurement in a fresh process, prints a table and
one JSON object: the seconds from nothing to the first training batch from
scratch and resuming at 90% of an epoch (the shard check, the pipeline, the
first batch), to the first eval batch, the steady records/s of the training
pipeline against a bare ``TFRecordDataset(files, num_parallel_reads=AUTOTUNE)``
reading and decoding the same files (three runs of each, alternating; the
fastest counts), and the peak memory each added to the process (the most of
its runs).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PROJECT)

import cli  # noqa: E402, F401  (TensorFlow imports quietly when first used)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from datasets import converted, example_codec, input_pipeline  # noqa: E402

NAME = "scale"


def write(
    dataset_dir: str, num_records: int, num_shards: int, images: list[bytes], fmt: bytes, shape
) -> None:
    """Writes ``num_records`` examples cycling through ``images`` and labels 0-999, unless already there."""
    if converted.already_converted(dataset_dir, NAME, overwrite=False):  # an interrupted write: again
        return
    print(f"writing {num_records:,} records into {dataset_dir} ...", flush=True)

    # 1,000 distinct records, dealt again and again (serializing each anew costs minutes at 1 M).
    distinct = [
        example_codec.image_to_tfexample(images[i % len(images)], fmt, *shape[:2], i).SerializeToString()
        for i in range(1000)
    ]
    records = (distinct[i % 1000] for i in range(num_records))
    writer = converted.DatasetWriter(dataset_dir, NAME)
    writer.write_split("train", records, num_shards, num_records)
    writer.finish({i: f"class_{i}" for i in range(1000)}, {"num_classes": 1000, "image_shape": list(shape)})


def small_pngs(count: int = 1000) -> list[bytes]:
    rng = np.random.default_rng(0)
    return [tf.io.encode_png(rng.integers(0, 4, (28, 28, 1), np.uint8) * 60).numpy() for _ in range(count)]


def large_jpegs(count: int = 64) -> list[bytes]:
    """Photos' size: a smooth picture with enough texture to weigh about 100 KB as a JPEG."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:375, 0:500]
    out = []
    for _ in range(count):
        base = (
            128 + 80 * np.sin(x / rng.uniform(20, 80))[..., None] * np.cos(y / rng.uniform(20, 80))[..., None]
        )
        image = np.clip(base + rng.normal(0, 18, (375, 500, 3)), 0, 255).astype(np.uint8)
        out.append(tf.io.encode_jpeg(image, quality=90).numpy())
    return out


# --- Measurements, each in a process of its own ---------------------------------------------------


def example(image, label, seed):
    del seed
    return tf.image.resize(image, [64, 64]), label  # the same work as the bare reader's


def measure(what: str, dataset_dir: str) -> dict:
    base = _rss_kb()
    split = converted.read_split(NAME, "train", dataset_dir)
    start = time.perf_counter()
    if what in ("scratch", "resume", "eval"):
        converted.check_split(split)
        if what == "eval":
            dataset = input_pipeline.eval_dataset(split, lambda x, y: example(x, y, None), 64)
        else:
            at = int(0.9 * split.num_samples) if what == "resume" else 0
            dataset = input_pipeline.train_dataset(split, example, 64, start_example=at)
        next(iter(dataset))
        return {"seconds": time.perf_counter() - start}
    if what == "pipeline":
        dataset = input_pipeline.train_dataset(split, example, 64)
    else:  # the bare parallel reader
        dataset = tf.data.TFRecordDataset(list(split.files), num_parallel_reads=tf.data.AUTOTUNE).repeat()
        dataset = dataset.map(lambda r: example(*split.decode(r), None), num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.batch(64).prefetch(tf.data.AUTOTUNE)
    iterator = iter(dataset)
    for _ in range(20):
        next(iterator)
    batches = max(50, min(2000, 300_000 // max(1, _record_bytes(split) // 64)))
    start = time.perf_counter()
    for _ in itertools.islice(iterator, batches):
        pass
    rate = batches * 64 / (time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    return {"records_per_s": rate, "peak_mb": peak / 1024}


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _record_bytes(split) -> int:
    return sum(tf.io.gfile.stat(p).length for p in split.files) // split.num_samples


def in_process(what: str, dataset_dir: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, f"--measure={what}", f"--dataset_dir={dataset_dir}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work_dir", default=os.path.join(tempfile.gettempdir(), "slim-input-scale"))
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--jpeg_records", type=int, default=100_000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--dataset_dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.records < 1 or args.jpeg_records < 0:
        parser.error("--records must be at least 1 and --jpeg_records at least 0")
    if args.measure:
        print(json.dumps(measure(args.measure, args.dataset_dir)))
        return
    pngs = small_pngs()
    small = pngs, b"png", (28, 28, 1)
    datasets = {
        "10k small": (os.path.join(args.work_dir, "small_10k"), 10_000, 16, *small),
        f"{args.records // 1000}k small": (
            os.path.join(args.work_dir, f"small_{args.records}"),
            args.records,
            1024,
            *small,
        ),
    }
    if args.jpeg_records:
        datasets[f"{args.jpeg_records // 1000}k JPEG"] = (
            os.path.join(args.work_dir, f"jpeg_{args.jpeg_records}"), args.jpeg_records, 256, large_jpegs(),
            b"jpeg", (375, 500, 3),
        )  # fmt: skip
    results = {}
    for label, spec in datasets.items():
        write(*spec)
        row = {what: in_process(what, spec[0]) for what in ("scratch", "resume", "eval")}
        for _ in range(3):  # alternating, the fastest of each kept: one run of either varies by 20%
            for what in ("pipeline", "bare"):
                run = in_process(what, spec[0])
                best = row.setdefault(what, run)
                row[what] = {k: max(best[k], run[k]) for k in run}
        row["ratio_pipeline_vs_bare"] = row["pipeline"]["records_per_s"] / row["bare"]["records_per_s"]
        results[label] = row
        print(
            f"{label:>12}: first batch {row['scratch']['seconds']:.2f} s, resuming at 90% "
            f"{row['resume']['seconds']:.2f} s, eval {row['eval']['seconds']:.2f} s; "
            f"{row['pipeline']['records_per_s']:,.0f} records/s vs bare {row['bare']['records_per_s']:,.0f} "
            f"({row['ratio_pipeline_vs_bare']:.2f}x); peak memory {row['pipeline']['peak_mb']:.0f} MB "
            f"(bare {row['bare']['peak_mb']:.0f} MB)",
            flush=True,
        )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
