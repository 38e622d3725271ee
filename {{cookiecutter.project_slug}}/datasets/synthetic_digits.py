"""Digit-like images drawn in code, written as MNIST IDX files.

Seven-segment digits with random position, size, stroke width, slant,
brightness and noise: a ten-class problem that LeNet learns in a few hundred
steps. The quick tour and the tests use it so that a first run needs no
download. Run ``python -m datasets.synthetic_digits --output_dir=DIR`` to write
the four files ``download_and_convert_data.py --source_dir`` expects
(``--num_png=N`` also writes N single digits as PNG files for ``infer.py``).
It needs numpy and Pillow, not TensorFlow.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from PIL import Image

from datasets import idx_format

# Segments a..g of a seven-segment display, as (row0, col0, row1, col1) in a
# unit box 2 wide and 4 high.
_SEGMENTS = {
    "a": (0, 0, 0, 2),
    "b": (0, 2, 2, 2),
    "c": (2, 2, 4, 2),
    "d": (4, 0, 4, 2),
    "e": (2, 0, 4, 0),
    "f": (0, 0, 2, 0),
    "g": (2, 0, 2, 2),
}
_DIGITS = ("abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abcdfg")


def draw_digits(labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Draws one 28x28 uint8 image per label (0-9)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:28, 0:28].astype(np.float32)
    images = np.empty((len(labels), 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        scale = rng.uniform(3.2, 4.4)
        top = rng.uniform(3.0, 25.0 - 4 * scale)
        left = rng.uniform(4.0, 24.0 - 2 * scale)
        slant = rng.uniform(-0.25, 0.25)
        width = rng.uniform(1.0, 1.8)
        canvas = np.zeros((28, 28), dtype=np.float32)
        for segment in _DIGITS[label]:
            r0, c0, r1, c1 = _SEGMENTS[segment]
            r0, r1 = top + r0 * scale, top + r1 * scale
            c0 = left + c0 * scale + slant * (r0 - 14)
            c1 = left + c1 * scale + slant * (r1 - 14)
            canvas = np.maximum(canvas, _stroke(rows, cols, r0, c0, r1, c1, width))
        canvas *= rng.uniform(0.7, 1.0)
        canvas += rng.normal(0.0, 0.08, size=canvas.shape)
        images[i] = np.clip(canvas * 255, 0, 255).astype(np.uint8)
    return images


def _stroke(rows, cols, r0, c0, r1, c1, width):
    """Intensity of a line segment of the given half-width, anti-aliased."""
    dr, dc = r1 - r0, c1 - c0
    t = np.clip(((rows - r0) * dr + (cols - c0) * dc) / (dr * dr + dc * dc), 0.0, 1.0)
    distance = np.hypot(rows - (r0 + t * dr), cols - (c0 + t * dc))
    return np.clip(width + 0.5 - distance, 0.0, 1.0)


def write_mnist_files(output_dir: str, num_train: int = 6000, num_test: int = 1000, seed: int = 0) -> None:
    """Writes the four MNIST ``.gz`` files of synthetic digits into ``output_dir``."""
    os.makedirs(output_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split, n in (("train", num_train), ("test", num_test)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = draw_digits(labels, seed=int(rng.integers(2**31)))
        images_name, labels_name = idx_format.MNIST_FILES[split]
        idx_format.write_idx(os.path.join(output_dir, images_name), images)
        idx_format.write_idx(os.path.join(output_dir, labels_name), labels)


def write_png(path: str, image: np.ndarray) -> None:
    """Writes a uint8 grayscale image [height, width] as an 8-bit PNG file."""
    Image.fromarray(image.astype(np.uint8)).save(path, format="PNG")  # 2-D uint8: 8-bit grey


def write_sample_pngs(output_dir: str, num_images: int, seed: int = 1) -> list[tuple[str, int]]:
    """Writes ``num_images`` digits as ``digit<i>_<label>.png``; returns (path, label) pairs."""
    os.makedirs(output_dir, exist_ok=True)
    labels = np.arange(num_images) % 10
    written = []
    for i, (image, label) in enumerate(zip(draw_digits(labels, seed=seed), labels, strict=True)):
        path = os.path.join(output_dir, f"digit{i}_{label}.png")
        write_png(path, image)
        written.append((path, int(label)))
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output_dir", required=True, help="Where the .gz files go.")
    parser.add_argument("--num_train", type=int, default=6000)
    parser.add_argument("--num_test", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num_png", type=int, default=0, help="Also write this many PNG digits.")
    args = parser.parse_args(argv)
    write_mnist_files(args.output_dir, args.num_train, args.num_test, args.seed)
    print(f"Wrote synthetic MNIST files to {args.output_dir}")
    if args.num_png:
        pngs = write_sample_pngs(os.path.join(args.output_dir, "png"), args.num_png, seed=args.seed + 1)
        print(f"Wrote {len(pngs)} PNG digits to {os.path.join(args.output_dir, 'png')}")


if __name__ == "__main__":
    main()
