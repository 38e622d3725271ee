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
unless --overwrite is given; a folder holding another dataset is refused
unless --force is given too (its files are then replaced).
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time

from cli import flags, progress, runner

from datasets import dataset_factory
from errors import UserError


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


def parse_flags(argv: list[str] | None) -> argparse.Namespace:
    p = flags.make_parser(__doc__)
    p.add_argument(
        "--dataset_name",
        required=True,
        help=f"A registered dataset ({', '.join(sorted(dataset_factory.datasets_map()))}) "
        "or a new name for your images.",
    )
    p.add_argument("--dataset_dir", required=True, help="Where the converted dataset goes.")
    p.add_argument("--source_dir", help="The raw files or images already on disk (no download).")
    p.add_argument("--overwrite", action="store_true", help="Convert again over a finished conversion.")
    p.add_argument(
        "--force",
        action="store_true",
        help="With --overwrite: replace a folder that holds another converted dataset "
        "(its files are deleted).",
    )
    # Options for converting folders of images; None means the converter's default.
    p.add_argument("--validation_fraction", type=flags.fraction, help="Held out per class (0.1).")
    p.add_argument("--num_shards", type=flags.positive_int, help="Shards per split (one per 1,000 images).")
    p.add_argument("--image_size", type=image_size, help="Resize to HEIGHT,WIDTH.")
    # default None: not given, so a converter without the check can say it does not take it.
    p.add_argument("--strict", action="store_true", default=None, help="Fail on an unreadable image.")
    return flags.parse(p, argv)


def main(argv: list[str] | None = None) -> int:
    return runner.run(convert, parse_flags(argv))


def convert(args: argparse.Namespace) -> int:
    source_dir = os.path.expanduser(args.source_dir) if args.source_dir else None
    options = {
        name: getattr(args, name)
        for name in ("validation_fraction", "num_shards", "image_size", "strict")
        if getattr(args, name) is not None
    }
    if args.force and not args.overwrite:
        raise UserError("--force replaces another dataset's files only together with --overwrite")
    start = time.perf_counter()
    if args.dataset_name in dataset_factory.datasets_map():
        converter = dataset_factory.get_dataset_module(args.dataset_name).download_and_convert
        params = inspect.signature(converter).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())  # **options: image_folder's
        unused = set() if takes_any else set(options) - set(params)
        if unused:
            names = ", ".join(f"--{name}" for name in sorted(unused))
            raise UserError(f"{names} not used by {args.dataset_name}'s converter")
        convert_fn = converter
    elif source_dir is None:
        known = ", ".join(sorted(dataset_factory.datasets_map()))
        raise UserError(
            f"{args.dataset_name!r} is no registered dataset ({known}); "
            "to convert your own images pass --source_dir=IMAGES, a folder of class folders."
        )
    else:
        no_code = dataset_factory.converter_for(source_dir).convert

        def convert_fn(dataset_dir, **kwargs):
            return no_code(args.dataset_name, kwargs.pop("source_dir"), dataset_dir, **kwargs)

    info = convert_fn(
        args.dataset_dir,
        source_dir=source_dir,
        overwrite=args.overwrite,
        force=args.force,
        progress=progress.Progress("examples"),
        **options,
    )
    total = sum(split["num_examples"] for split in info["splits"].values())
    print(f"Done: {total} examples in {args.dataset_dir} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
