"""Looking at a dataset: a PNG grid of examples with their label names, and counts.

Works on a converted split (through the dataset factory) and on a raw folder
of class folders before conversion. What is counted and drawn for a split is
its task's (``Task.describe_labels``, ``Task.caption``): a classifier's class
counts, for instance.
"""

from __future__ import annotations

import io
import math

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw, ImageFont

from datasets import converted, image_folder
from datasets.splits import DatasetError, DatasetSplit

CELL = 96  # pixels per thumbnail side
LABEL_HEIGHT = 14


def describe_split(split: DatasetSplit, dataset_dir: str | None, task) -> dict:
    """Split sizes, the image shape, and the task's counts over this split's labels."""
    if not split.files:
        raise DatasetError(f"{split.dataset_name!r} holds no images to view")
    labels = split.records().map(lambda r: split.decode(r)[1], num_parallel_calls=tf.data.AUTOTUNE)
    info = converted.read_dataset_info(split.dataset_name, dataset_dir)
    return {
        "splits": {name: s["num_examples"] for name, s in info["splits"].items()},
        **task.describe_labels(labels.as_numpy_iterator()),
        "image_shape": info["image_shape"],
    }


def sample_split(split: DatasetSplit, num_images: int, task) -> list[tuple[np.ndarray, str]]:
    """The first ``num_images`` examples of a split as the task shows them: (uint8 image, caption)."""
    examples = split.records().take(num_images).map(split.decode)
    return [task.caption(image=image, label=label) for image, label in examples.as_numpy_iterator()]


def describe_folder(
    source_dir: str, num_images: int, seed: int = 0
) -> tuple[dict, list[tuple[np.ndarray, str]]]:
    """Counts and a sample of a raw folder of class folders (or split folders)."""
    source = image_folder.scan(source_dir, validation_fraction=0.0)
    described = {
        "splits": {name: len(files) for name, files in source.splits.items()},
        "class_counts": {},
        "image_shape": None,
    }
    everything = [item for files in source.splits.values() for item in files]
    for _, class_id in everything:
        name = source.class_names[class_id]
        described["class_counts"][name] = described["class_counts"].get(name, 0) + 1
    rng = np.random.default_rng(seed)
    picked = [everything[i] for i in rng.permutation(len(everything))[:num_images]]
    samples, shapes = [], set()
    for path, class_id in picked:
        try:
            image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False).numpy()
        except tf.errors.OpError:
            continue  # the converter reports unreadable files; the viewer just skips them
        shapes.add(image.shape)
        samples.append((image, source.class_names[class_id]))
    described["image_shape"] = sorted(shapes)[0] if len(shapes) == 1 else sorted(shapes)
    return described, samples


def write_grid(samples: list[tuple[np.ndarray, str]], path: str) -> tuple[int, int]:
    """Writes the samples as a PNG grid with each label under its image; returns (width, height)."""
    if not samples:
        raise DatasetError("no images to show")
    columns = math.ceil(math.sqrt(len(samples)))
    rows = math.ceil(len(samples) / columns)
    grid = Image.new("RGB", (columns * CELL, rows * (CELL + LABEL_HEIGHT)), "white")
    draw = ImageDraw.Draw(grid)
    font = ImageFont.load_default()
    for i, (image, label) in enumerate(samples):
        tile = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image[..., :3])
        scale = (CELL - 4) / max(tile.size)
        size = (max(1, round(tile.width * scale)), max(1, round(tile.height * scale)))
        # Nearest-neighbour keeps small images (28x28 digits) sharp when enlarged.
        tile = tile.convert("RGB").resize(size, Image.NEAREST if scale > 1 else Image.BILINEAR)
        x, y = (i % columns) * CELL, (i // columns) * (CELL + LABEL_HEIGHT)
        grid.paste(tile, (x + (CELL - size[0]) // 2, y + (CELL - size[1]) // 2))
        draw.text((x + 2, y + CELL), label[:16], fill="black", font=font)
    buffer = io.BytesIO()
    grid.save(buffer, format="PNG")
    with tf.io.gfile.GFile(path, "wb") as f:  # any tf.io.gfile path
        f.write(buffer.getvalue())
    return grid.size
