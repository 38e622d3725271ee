"""Downloads a dataset and converts it to sharded TFRecord files.

    python download_and_convert_data.py --dataset_name=mnist --dataset_dir=/tmp/mnist
    python download_and_convert_data.py --dataset_name=mnist --dataset_dir=/tmp/mnist \
        --source_dir=~/Downloads/mnist    # the four IDX .gz files, already downloaded

The output folder gets ``{name}_{split}-{i:05d}-of-{n:05d}.tfrecord`` shards,
``labels.txt`` and, last, ``dataset_info.json``: a folder without it holds no
finished conversion. Running again over a finished conversion does nothing
unless --overwrite is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from deployment.tf_startup import import_tensorflow

import_tensorflow()

from datasets import dataset_factory, dataset_utils, idx_format  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    converters = sorted(
        name
        for name, module in dataset_factory.datasets_map.items()
        if hasattr(module, "download_and_convert")
    )
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset_name", required=True, choices=converters)
    p.add_argument("--dataset_dir", required=True, help="Where the converted dataset goes.")
    p.add_argument(
        "--source_dir",
        default=None,
        help="A folder with the raw files already downloaded (skips the download).",
    )
    p.add_argument("--overwrite", action="store_true", help="Convert again over a finished conversion.")
    args = p.parse_args(argv)

    module = dataset_factory.get_dataset_module(args.dataset_name)
    source_dir = os.path.expanduser(args.source_dir) if args.source_dir else None
    start = time.perf_counter()
    try:
        info = module.download_and_convert(args.dataset_dir, source_dir=source_dir, overwrite=args.overwrite)
    except (dataset_utils.DatasetError, idx_format.IdxError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    total = sum(split["num_examples"] for split in info["splits"].values())
    print(f"Done: {total} examples in {args.dataset_dir} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
