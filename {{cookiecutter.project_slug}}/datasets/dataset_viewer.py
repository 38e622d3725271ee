"""Looking at a dataset: a PNG grid of examples with their label names (or boxes), and counts.

Works on a converted split (through the dataset factory) and on a raw folder
of class folders before conversion. For detection it counts boxes per class
and per image, measures their sizes, and tells which share of the boxes no
anchor of a given net overlaps at IoU 0.5 (those boxes train nothing but
their one forced anchor: a sign to change the net's anchors or image size).
"""

from __future__ import annotations

import collections
import io
import math

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw, ImageFont

from datasets import converted, example_codec, image_folder
from datasets.splits import DatasetError, DatasetSplit
from tasks import box_utils, classification, detection

CELL = 96  # pixels per thumbnail side
LABEL_HEIGHT = 14


def describe_split(split: DatasetSplit, dataset_dir: str | None, anchors: np.ndarray | None = None) -> dict:
    """Split sizes, this split's class counts and the image shape of a converted dataset.

    For detection, also boxes per image, their sizes, and (given a net's
    ``anchors``) the share of boxes no anchor covers at IoU 0.5.
    """
    if split.task == detection.NAME:
        return {**_describe_boxes(split, anchors), "splits": _sizes(split, dataset_dir)}
    if split.task != classification.NAME:
        raise DatasetError(f"{split.dataset_name!r} holds no images to view")
    labels = split.records().map(
        lambda r: tf.io.parse_single_example(
            r, {example_codec.IMAGE_CLASS_LABEL: tf.io.FixedLenFeature([], tf.int64)}
        )[example_codec.IMAGE_CLASS_LABEL],
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    counts = collections.Counter(int(label) for label in labels.as_numpy_iterator())
    info = converted.read_dataset_info(split.dataset_name, dataset_dir)
    return {
        "splits": _sizes(split, dataset_dir),
        "class_counts": {split.labels_to_names.get(k, str(k)): counts[k] for k in sorted(counts)},
        "image_shape": info["image_shape"],
    }


def _sizes(split: DatasetSplit, dataset_dir: str | None) -> dict:
    info = converted.read_dataset_info(split.dataset_name, dataset_dir)
    return {name: s["num_examples"] for name, s in info["splits"].items()}


def _describe_boxes(split: DatasetSplit, anchors: np.ndarray | None) -> dict:
    labels = split.records().map(lambda r: split.decode(r)[1], num_parallel_calls=tf.data.AUTOTUNE)
    per_class, per_image, widths, heights, all_boxes = collections.Counter(), [], [], [], []
    for label in labels.as_numpy_iterator():
        boxes = label[example_codec.DETECTION_BOXES]
        per_image.append(len(boxes))
        per_class.update(int(c) for c in label[example_codec.DETECTION_LABELS])
        height, width = label["size"]
        heights += list((boxes[:, 2] - boxes[:, 0]) * height)
        widths += list((boxes[:, 3] - boxes[:, 1]) * width)
        all_boxes.append(boxes)
    described = {
        "boxes_per_class": {split.labels_to_names.get(k, str(k)): per_class[k] for k in sorted(per_class)},
        "boxes_per_image": {
            "mean": float(np.mean(per_image)) if per_image else 0.0,
            "max": int(max(per_image, default=0)),
        },
        "box_size_pixels": {
            "median_width": float(np.median(widths)) if widths else 0.0,
            "median_height": float(np.median(heights)) if heights else 0.0,
            "smallest_side": float(min(min(widths, default=0), min(heights, default=0))),
        },
    }
    if anchors is not None and all_boxes:
        described["share_of_boxes_no_anchor_covers_at_iou_0.5"] = box_utils.anchor_coverage(
            np.concatenate(all_boxes), anchors
        )
    return described


def sample_split(split: DatasetSplit, num_images: int) -> list[tuple[np.ndarray, str]]:
    """The first ``num_images`` examples of a split as (uint8 image, label name); detection: boxes drawn."""
    examples = split.records().take(num_images).map(split.decode)
    if split.task == detection.NAME:
        return [(_draw_boxes(image, label, split.labels_to_names), f"{len(label['labels'])} boxes")
                for image, label in examples.as_numpy_iterator()]  # fmt: skip
    return [
        (image, split.labels_to_names.get(int(label), str(label)))
        for image, label in examples.as_numpy_iterator()
    ]


def _draw_boxes(image: np.ndarray, label: dict, names: dict[int, str]) -> np.ndarray:
    height, width = image.shape[:2]
    answer = {"detections": [
        {"label": names.get(int(c), str(c)), "class_id": int(c), "score": 1.0,
         "box": {"xmin": b[1] * width, "ymin": b[0] * height, "xmax": b[3] * width, "ymax": b[2] * height}}
        for b, c in zip(label["boxes"], label["labels"], strict=True)
    ]}  # fmt: skip
    return detection.draw(image, answer)


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
