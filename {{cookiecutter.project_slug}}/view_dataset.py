"""Shows what a dataset holds: a PNG grid of examples as its task draws them, and counts.

    python view_dataset.py --dataset_name=mnist --dataset_dir=/tmp/mnist [--dataset_split_name=train]
    python view_dataset.py --source_dir=IMAGES          # a raw folder, before conversion

Prints split sizes, the task's counts (a classifier's class counts) and
image shapes as JSON, and writes --output (default: views/<dataset>_<split>.png,
or views/<folder>.png for a raw folder; views/ is git-ignored).
With --model_name, the net's own view of the data is counted too, for tasks
that have one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from cli import flags, runner

from datasets import dataset_factory, dataset_viewer
from nets import nets_factory
from tasks import tasks_factory

VIEWS = "views"  # default folder of the grids (git-ignored): not the project's root


def parse_flags(argv: list[str] | None) -> argparse.Namespace:
    p = flags.make_parser(__doc__)
    p.add_argument("--dataset_name", help="A converted dataset (with --dataset_dir).")
    p.add_argument("--dataset_dir")
    p.add_argument("--dataset_split_name", default="train", help="The split to show.")
    p.add_argument("--source_dir", help="A raw folder of class folders instead.")
    p.add_argument("--num_images", type=flags.positive_int, default=16, help="Images in the grid.")
    p.add_argument("--output", help="The PNG grid to write (default: in views/, which git ignores).")
    p.add_argument("--model_name", help="Count the data as this net sees it too (where its task can).")
    p.add_argument("--train_image_size", type=flags.positive_int, help="With --model_name.")
    args = flags.parse(p, argv)
    if (args.dataset_name is None) == (args.source_dir is None):
        p.error("pass either --dataset_name (with --dataset_dir) or --source_dir")
    return args


def main(argv: list[str] | None = None) -> int:
    return runner.run(view, parse_flags(argv))


def view(args: argparse.Namespace) -> int:
    if args.source_dir:
        described, samples = dataset_viewer.describe_folder(args.source_dir, args.num_images)
        folder = os.path.basename(os.path.normpath(args.source_dir)) or "source"
        output = args.output or os.path.join(VIEWS, f"{folder}.png")
    else:
        split = dataset_factory.get_dataset(args.dataset_name, args.dataset_split_name, args.dataset_dir)
        extras = {}
        if args.model_name:
            spec = nets_factory.get_net_spec(args.model_name)
            if spec.anchors is not None:
                extras["anchors"] = spec.anchors.at(args.train_image_size or spec.default_image_size)
        task = tasks_factory.get_task(split.task)(
            num_classes=split.num_classes, labels_to_names=split.labels_to_names, **extras
        )
        described = dataset_viewer.describe_split(split, args.dataset_dir, task)
        samples = dataset_viewer.sample_split(split, args.num_images, task)
        output = args.output or os.path.join(VIEWS, f"{args.dataset_name}_{args.dataset_split_name}.png")
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    width, height = dataset_viewer.write_grid(samples, output)
    print(f"Wrote {output} ({len(samples)} images, {width}x{height} pixels)")
    print(json.dumps(described, default=list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
