"""Shows what a dataset holds: a PNG grid of examples with label names (or boxes), and counts.

    python view_dataset.py --dataset_name=mnist --dataset_dir=/tmp/mnist [--dataset_split_name=train]
    python view_dataset.py --source_dir=IMAGES          # a raw folder, before conversion
    python view_dataset.py --dataset_name=cells --dataset_dir=DATA --model_name=ssd_small   # + anchor check

Prints split sizes, class counts and image shapes as JSON, and writes
--output (default: <dataset>_<split>.png).
"""

from __future__ import annotations

import argparse
import json
import sys

from cli import flags, runner

from datasets import dataset_factory, dataset_viewer
from errors import UserError
from nets import nets_factory
from tasks import box_utils


def parse_flags(argv: list[str] | None) -> argparse.Namespace:
    p = flags.make_parser(__doc__)
    p.add_argument("--dataset_name", default=None, help="A converted dataset (with --dataset_dir).")
    p.add_argument("--dataset_dir", default=None)
    p.add_argument("--dataset_split_name", default="train")
    p.add_argument("--source_dir", default=None, help="A raw folder of class folders instead.")
    p.add_argument("--num_images", type=flags.positive_int, default=16)
    p.add_argument("--output", default=None, help="The PNG grid to write.")
    p.add_argument(
        "--model_name",
        default=None,
        help="Detection: the net whose anchors to check the boxes against (e.g. ssd_small).",
    )
    p.add_argument("--train_image_size", type=flags.positive_int, default=None, help="With --model_name.")
    args = flags.parse(p, argv)
    if (args.dataset_name is None) == (args.source_dir is None):
        p.error("pass either --dataset_name (with --dataset_dir) or --source_dir")
    return args


def main(argv: list[str] | None = None) -> int:
    return runner.run(view, parse_flags(argv))


def view(args: argparse.Namespace) -> int:
    if args.source_dir:
        described, samples = dataset_viewer.describe_folder(args.source_dir, args.num_images)
        output = args.output or "source_images.png"
    else:
        split = dataset_factory.get_dataset(args.dataset_name, args.dataset_split_name, args.dataset_dir)
        anchors = None
        if args.model_name:
            spec = nets_factory.get_net_spec(args.model_name)
            if spec.anchors is None:
                raise UserError(f"--model_name={args.model_name} has no anchors: pick a detection net")
            size = args.train_image_size or spec.default_image_size
            anchors = box_utils.generate_anchors(spec.anchors, size)
        described = dataset_viewer.describe_split(split, args.dataset_dir, anchors)
        samples = dataset_viewer.sample_split(split, args.num_images)
        output = args.output or f"{args.dataset_name}_{args.dataset_split_name}.png"
    width, height = dataset_viewer.write_grid(samples, output)
    print(f"Wrote {output} ({len(samples)} images, {width}x{height} pixels)")
    print(json.dumps(described, default=list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
