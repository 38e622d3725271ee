"""A detection set made in code: coloured circles, squares and triangles on noise, in Pascal VOC's layout.

Each image holds one to four shapes of random size (by default 12% to 44%
of the image side), colour and place (they may overlap a little), with tight
boxes; the smallest ones (under 16%) are marked ``difficult``. Everything
follows from the seed. The quick tour and the tests use it, so detection
needs no download:

    python -m datasets.synthetic_shapes --output_dir=DIR     # DIR/Annotations, JPEGImages, ImageSets/Main
    python download_and_convert_data.py --dataset_name=shapes --source_dir=DIR --dataset_dir=DATA
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from PIL import Image

CLASSES = ("circle", "square", "triangle")


def draw_image(
    rng: np.random.Generator, size: int, min_size: float = 0.12
) -> tuple[np.ndarray, list[tuple[str, tuple[int, int, int, int], int]]]:
    """One image [size, size, 3] uint8 and its objects as (class, (xmin, ymin, xmax, ymax), difficult).

    Shapes span ``min_size`` to 0.44 of the image side.
    """
    image = rng.integers(0, 90, size=(size, size, 3)).astype(np.float32)
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    objects, taken = [], np.zeros((size, size), bool)
    for _ in range(int(rng.integers(1, 5))):
        for _attempt in range(20):  # find a place that overlaps the others little
            radius = float(rng.uniform(min_size / 2, 0.22) * size)
            cy, cx = (float(rng.uniform(radius, size - radius)) for _ in range(2))
            kind = CLASSES[int(rng.integers(len(CLASSES)))]
            if kind == "circle":
                mask = (rows - cy) ** 2 + (cols - cx) ** 2 <= radius**2
            elif kind == "square":
                mask = (np.abs(rows - cy) <= radius * 0.85) & (np.abs(cols - cx) <= radius * 0.85)
            else:  # apex up
                top = cy - radius
                mask = (rows >= top) & (rows <= cy + radius) & (np.abs(cols - cx) <= (rows - top) * 0.55)
            if mask.any() and (mask & taken).sum() <= 0.2 * mask.sum():
                break
        ys, xs = np.nonzero(mask)
        colour = rng.integers(120, 256, size=3).astype(np.float32)
        image[mask] = colour
        taken |= mask
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        objects.append((kind, box, int(radius < 0.08 * size)))
    return image.astype(np.uint8), objects


def annotation_xml(name: str, size: int, objects) -> str:
    parts = [f"<annotation><folder>JPEGImages</folder><filename>{name}.jpg</filename>",
             f"<size><width>{size}</width><height>{size}</height><depth>3</depth></size>"]  # fmt: skip
    for kind, (xmin, ymin, xmax, ymax), difficult in objects:
        parts.append(
            f"<object><name>{kind}</name><truncated>0</truncated><difficult>{difficult}</difficult>"
            f"<bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox>"
            "</object>"
        )
    return "".join(parts) + "</annotation>\n"


def write_voc_folder(
    output_dir: str,
    num_train: int = 300,
    num_test: int = 60,
    image_size: int = 128,
    seed: int = 0,
    min_size: float = 0.12,
) -> None:
    """Writes ``Annotations/``, ``JPEGImages/`` and ``ImageSets/Main/{train,test}.txt`` in ``output_dir``."""
    rng = np.random.default_rng(seed)
    for folder in ("Annotations", "JPEGImages", os.path.join("ImageSets", "Main")):
        os.makedirs(os.path.join(output_dir, folder), exist_ok=True)
    lists = {"train": [], "test": []}
    for index in range(num_train + num_test):
        name = f"shapes_{index:05d}"
        image, objects = draw_image(rng, image_size, min_size)
        Image.fromarray(image).save(os.path.join(output_dir, "JPEGImages", f"{name}.jpg"), quality=95)
        with open(os.path.join(output_dir, "Annotations", f"{name}.xml"), "w", encoding="utf-8") as f:
            f.write(annotation_xml(name, image_size, objects))
        lists["train" if index < num_train else "test"].append(name)
    for split, names in lists.items():
        with open(os.path.join(output_dir, "ImageSets", "Main", f"{split}.txt"), "w", encoding="utf-8") as f:
            f.write("".join(f"{n}\n" for n in names))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output_dir", required=True)
    p.add_argument("--num_train", type=int, default=300)
    p.add_argument("--num_test", type=int, default=60)
    p.add_argument("--image_size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--min_size", type=float, default=0.12, help="The smallest shape's side, a fraction of the image's."
    )
    args = p.parse_args(argv)
    if not 0.0 < args.min_size <= 0.44:
        p.error(f"--min_size must be in (0, 0.44], got {args.min_size}")
    write_voc_folder(
        args.output_dir, args.num_train, args.num_test, args.image_size, args.seed, args.min_size
    )
    print(f"Wrote {args.num_train} + {args.num_test} images of {', '.join(CLASSES)} to {args.output_dir}")


if __name__ == "__main__":
    main()
