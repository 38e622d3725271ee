"""Downloads a dataset, or reads your images, and converts it to sharded TFRecord files.

    python download_and_convert_data.py --dataset_name=mnist --dataset_dir=/tmp/mnist
    python download_and_convert_data.py --dataset_name=mnist --dataset_dir=/tmp/mnist \\
        --source_dir=~/Downloads/mnist    # the raw files, already downloaded
    python download_and_convert_data.py --dataset_name=my_images --source_dir=IMAGES \\
        --dataset_dir=DATA [--validation_fraction=0.1] [--num_shards=N] [--image_size=H,W]

A name with no module of its own converts IMAGES, a folder of class folders
(IMAGES/<class>/*.jpg) or of split folders holding class folders
(IMAGES/train/<class>/..., IMAGES/validation/... or test/).

The output folder gets ``{name}_{split}-{i:05d}-of-{n:05d}.tfrecord`` shards,
``labels.txt`` and, last, ``dataset_info.json``: a folder without it holds no
finished conversion. Running again over a finished conversion does nothing
unless --overwrite is given.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time

from deployment.tf_startup import import_tensorflow

import_tensorflow()

from datasets import dataset_factory, dataset_utils, idx_format, image_folder  # noqa: E402


def image_size(text: str) -> tuple[int, int]:
    """Parses ``H,W`` (or a single ``S`` for S,S)."""
    try:
        sizes = tuple(int(v) for v in text.split(","))
    except ValueError:
        sizes = ()
    if len(sizes) == 1:
        sizes = sizes * 2
    if len(sizes) != 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected HEIGHT,WIDTH in pixels, got {text!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--dataset_name",
        required=True,
        help=f"A registered dataset ({', '.join(sorted(dataset_factory.datasets_map))}) "
        "or a new name for your images.",
    )
    p.add_argument("--dataset_dir", required=True, help="Where the converted dataset goes.")
    p.add_argument(
        "--source_dir", default=None, help="The raw files or images already on disk (no download)."
    )
    p.add_argument("--overwrite", action="store_true", help="Convert again over a finished conversion.")
    # Options for converting folders of images; None means the converter's default.
    p.add_argument("--validation_fraction", type=float, default=None, help="Held out per class (0.1).")
    p.add_argument("--num_shards", type=int, default=None, help="Shards per split (one per 1,000 images).")
    p.add_argument("--image_size", type=image_size, default=None, help="Resize to HEIGHT,WIDTH.")
    p.add_argument("--strict", action="store_true", default=None, help="Fail on an unreadable image.")
    args = p.parse_args(argv)

    source_dir = os.path.expanduser(args.source_dir) if args.source_dir else None
    options = {
        name: getattr(args, name)
        for name in ("validation_fraction", "num_shards", "image_size", "strict")
        if getattr(args, name) is not None
    }
    start = time.perf_counter()
    try:
        if args.dataset_name in dataset_factory.datasets_map:
            convert = dataset_factory.get_dataset_module(args.dataset_name).download_and_convert
            unused = set(options) - set(inspect.signature(convert).parameters)
            if unused:
                flags = ", ".join(f"--{name}" for name in sorted(unused))
                print(f"error: {flags} not used by {args.dataset_name}'s converter", file=sys.stderr)
                return 2
            info = convert(args.dataset_dir, source_dir=source_dir, overwrite=args.overwrite, **options)
        elif source_dir is None:
            print(
                f"error: {args.dataset_name!r} is no registered dataset "
                f"({', '.join(sorted(dataset_factory.datasets_map))}); to convert your own images "
                "pass --source_dir=IMAGES, a folder of class folders.",
                file=sys.stderr,
            )
            return 2
        else:
            info = image_folder.convert(
                args.dataset_name, source_dir, args.dataset_dir, overwrite=args.overwrite, **options
            )
    except (dataset_utils.DatasetError, idx_format.IdxError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    total = sum(split["num_examples"] for split in info["splits"].values())
    print(f"Done: {total} examples in {args.dataset_dir} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
