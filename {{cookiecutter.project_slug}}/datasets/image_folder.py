"""Your own images: class folders to sharded TFRecord files, and back.

The source folder holds one sub-folder per class::

    IMAGES/<class>/*.jpg|jpeg|png|bmp|gif

or split folders that each hold the class folders, kept as given::

    IMAGES/train/<class>/...   IMAGES/validation/<class>/...   (or test/)

In the first layout a seeded, stratified ``validation_fraction`` of every
class becomes the ``validation`` split. The converter writes shards,
``labels.txt`` and ``dataset_info.json`` (split sizes, classes, image shape,
what the conversion did), so ``train.py --dataset_name=<name>
--dataset_dir=DATA`` needs no code at all: ``get_split`` reads it all back.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import time
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from datasets import converted, example_codec
from datasets.splits import DatasetError, DatasetSplit
from errors import cause

FORMAT = "image_folder"
SPLIT_FOLDERS = ("train", "validation", "test")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
EXAMPLES_PER_SHARD = 1_000


class ConversionError(DatasetError):
    """The source folder cannot be converted; the message says why."""


@dataclasses.dataclass(frozen=True)
class Source:
    """What was found in a source folder: class names and, per split, (path, class id) pairs."""

    class_names: tuple[str, ...]
    splits: dict[str, list[tuple[str, int]]]
    given_splits: bool


def get_split(split_name: str, dataset_dir: str | None, dataset_name: str) -> DatasetSplit:
    """Describes a split of images converted by ``convert`` into ``dataset_dir``."""
    return converted.read_split(dataset_name, split_name, dataset_dir)


def looks_like(source_dir: str) -> bool:
    """Any folder may hold class folders; ``scan`` says what is wrong with one that does not."""
    return os.path.isdir(source_dir)


def scan(source_dir: str, validation_fraction: float = 0.1, seed: int = 0) -> Source:
    """Finds the classes and images of a source folder and splits them.

    Raises:
      ConversionError: the folder is missing, has no class folders, a single
        class, an empty class folder, or class names that differ only by case.
    """
    if not os.path.isdir(source_dir):
        raise ConversionError(f"source folder {source_dir} does not exist")
    top = _subfolders(source_dir)
    given = [name for name in top if name in SPLIT_FOLDERS]
    if given:
        if set(top) - set(given):
            raise ConversionError(
                f"{source_dir} mixes split folders ({', '.join(given)}) with other folders "
                f"({', '.join(sorted(set(top) - set(given)))}); use either split folders holding "
                "class folders, or class folders only."
            )
        if "train" not in given:
            raise ConversionError(f"{source_dir} has split folders but no train/ folder")
        class_names = _class_names(os.path.join(source_dir, "train"))
        splits = {}
        for split in given:
            split_dir = os.path.join(source_dir, split)
            unknown = set(_class_names(split_dir, allow_missing=True)) - set(class_names)
            if unknown:
                raise ConversionError(
                    f"{split_dir} has classes that train/ lacks: {', '.join(sorted(unknown))}"
                )
            splits[split] = _images(split_dir, class_names, require_all=split == "train")
        return Source(class_names, splits, given_splits=True)

    class_names = _class_names(source_dir)
    by_class = _images(source_dir, class_names, require_all=True)
    return Source(class_names, hold_out(by_class, validation_fraction, seed), given_splits=False)


def hold_out(
    examples: list[tuple[str, int]], validation_fraction: float = 0.1, seed: int = 0
) -> dict[str, list[tuple[str, int]]]:
    """Splits ``(path, class id)`` pairs into ``train`` and ``validation``: a seeded share of each class.

    Raises:
      ConversionError: the fraction is outside [0, 1).
    """
    if not 0.0 <= validation_fraction < 1.0:
        raise ConversionError(f"--validation_fraction must be in [0, 1), got {validation_fraction}")
    rng = np.random.default_rng(seed)
    train, validation = [], []
    for class_id in sorted({class_id for _, class_id in examples}):
        files = [item for item in examples if item[1] == class_id]
        rng.shuffle(files)
        num_validation = int(round(len(files) * validation_fraction))
        validation += files[:num_validation]
        train += files[num_validation:]
    return {"train": train, **({"validation": validation} if validation else {})}


def _subfolders(path: str) -> list[str]:
    return sorted(e.name for e in os.scandir(path) if e.is_dir() and not e.name.startswith("."))


def _class_names(folder: str, allow_missing: bool = False) -> tuple[str, ...]:
    names = tuple(_subfolders(folder)) if os.path.isdir(folder) or not allow_missing else ()
    if not names and not allow_missing:
        raise ConversionError(
            f"{folder} has no class folders: put each class's images in {folder}/<class name>/"
        )
    if len(names) == 1 and not allow_missing:
        raise ConversionError(f"{folder} has a single class ({names[0]}); a classifier needs at least two")
    lower = {}
    for name in names:
        if name.lower() in lower:
            raise ConversionError(
                f"class folders {lower[name.lower()]!r} and {name!r} in {folder} differ only by case; "
                "merge or rename one"
            )
        lower[name.lower()] = name
    return names


def _images(folder: str, class_names: tuple[str, ...], require_all: bool) -> list[tuple[str, int]]:
    found = []
    for class_id, name in enumerate(class_names):
        class_dir = os.path.join(folder, name)
        files = sorted(
            os.path.join(class_dir, f)
            for f in (os.listdir(class_dir) if os.path.isdir(class_dir) else [])
            if f.lower().endswith(IMAGE_EXTENSIONS)
        )
        if not files and require_all:
            raise ConversionError(
                f"class folder {class_dir} holds no images ({', '.join(IMAGE_EXTENSIONS)}); "
                "add images or remove the folder"
            )
        found += [(path, class_id) for path in files]
    return found


# --- Conversion -------------------------------------------------------------------


@dataclasses.dataclass
class _Encoded:
    record: bytes | None
    shape: tuple[int, int, int] | None
    reencoded: bool
    error: str | None = None


def _format_of(head: bytes) -> bytes | None:
    """``b"png"`` or ``b"jpeg"`` by the file signature; None for formats that get re-encoded."""
    if head.startswith(b"\x89PNG"):
        return b"png"
    if head.startswith(b"\xff\xd8"):
        return b"jpeg"
    return None


def _encode(path: str, class_id: int, image_size: tuple[int, int] | None) -> _Encoded:
    """Reads one image; keeps its bytes when they already are PNG/JPEG of the wanted size."""
    try:
        data = converted.read_source(path)
        image = tf.io.decode_image(data, expand_animations=False)
    except OSError as e:
        return _Encoded(None, None, False, error=e.strerror or str(e))
    except tf.errors.OpError as e:
        return _Encoded(None, None, False, error=cause(e)[:200])
    image_format = _format_of(data[:4])
    if image_size and tuple(image.shape[:2]) != image_size:
        image = tf.cast(tf.image.resize(image, image_size, antialias=True), tf.uint8)
        image_format = None
    reencoded = image_format is None
    encoded = tf.io.encode_png(image).numpy() if reencoded else data
    height, width, channels = image.shape
    example = example_codec.image_to_tfexample(encoded, image_format or b"png", height, width, class_id)
    return _Encoded(example.SerializeToString(), (height, width, channels), reencoded)


class _Encoder:
    """Encodes images in a thread pool, keeping what the info file reports."""

    def __init__(self, image_size: tuple[int, int] | None, strict: bool):
        self.image_size, self.strict = image_size, strict
        self.shapes, self.skipped = set(), []
        self.counts = {"kept_encoded": 0, "reencoded": 0}
        self.start = time.perf_counter()

    def records(self, pool, files):
        """Serialized examples of ``files`` in order; unreadable ones skipped (or fatal when strict)."""
        # In chunks, so memory holds a few hundred encoded images, not the split.
        for chunk_start in range(0, len(files), 256):
            chunk = files[chunk_start : chunk_start + 256]
            results = pool.map(lambda item: _encode(item[0], item[1], self.image_size), chunk)
            for (path, _), result in zip(chunk, results, strict=True):
                if result.error:
                    path = converted.shown(path)
                    if self.strict:
                        raise ConversionError(f"cannot read {path}: {result.error} (--strict)")
                    self.skipped.append(path)
                    print(f"  skipped {path}: {result.error}", flush=True)
                    continue
                self.shapes.add(result.shape)
                self.counts["reencoded" if result.reencoded else "kept_encoded"] += 1
                yield result.record


def convert(
    dataset_name: str,
    source_dir: str,
    dataset_dir: str,
    overwrite: bool = False,
    validation_fraction: float = 0.1,
    num_shards: int | None = None,
    image_size: tuple[int, int] | None = None,
    strict: bool = False,
    seed: int = 0,
    force: bool = False,
    progress: converted.Progress | None = None,
    list_images: Callable[[str, float], Source] | None = None,
) -> dict:
    """Converts a folder of class folders (or the images ``list_images`` finds) into TFRecord shards.

    Args:
      dataset_name: Names the shards and goes into ``dataset_info.json``.
      source_dir, dataset_dir: The images (see the module docstring), and where the shards go.
      overwrite: Convert again over a finished conversion of this dataset.
      validation_fraction: Share of each class held out as ``validation`` (no split folders).
      num_shards: Shards per split (default: one per 1,000 images).
      image_size: ``(height, width)`` to resize to; default keeps each size.
      strict: Fail on the first unreadable image instead of skipping it.
      seed: Picks the validation images and the order within shards.
      force: Replace another dataset converted into ``dataset_dir``.
      progress: Called with (done, total) as images are written.
      list_images: ``(source_dir, validation_fraction) -> Source``: a dataset module's own listing of
        its images and their classes, per split (default ``scan``, for class folders).

    Returns:
      The dataset info written (or found).

    Raises:
      ConversionError: see ``scan``; with ``strict``, an unreadable image.
    """
    if found := converted.already_converted(dataset_dir, dataset_name, overwrite, force):
        return found
    listed = list_images or (lambda folder, fraction: scan(folder, fraction, seed))
    source = listed(source_dir, validation_fraction)
    writer = converted.DatasetWriter(dataset_dir, dataset_name, progress)
    rng = np.random.default_rng(seed)
    encoder = _Encoder(image_size, strict)
    # TensorFlow's decoders release the GIL: threads use every core.
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        for split_name, files in source.splits.items():
            # Shuffled before writing: training shuffles in blocks, and class
            # folders would otherwise arrive one class at a time.
            files = [files[i] for i in rng.permutation(len(files))]
            shards = num_shards or max(1, -(-len(files) // EXAMPLES_PER_SHARD))
            writer.write_split(split_name, encoder.records(pool, files), shards, total=len(files))
    shapes, skipped = encoder.shapes, encoder.skipped
    if not shapes:
        raise ConversionError(f"no readable image in {source_dir}")
    channels = max(shape[2] for shape in shapes)
    sizes = {shape[:2] for shape in shapes}
    image_shape = [*next(iter(sizes)), channels] if len(sizes) == 1 else [None, None, channels]
    info = writer.finish(
        dict(enumerate(converted.shown(name) for name in source.class_names)),
        {
            "format": FORMAT,
            "num_classes": len(source.class_names),
            "image_shape": image_shape,
            "conversion": {
                "source_dir": converted.shown(os.path.abspath(source_dir)),
                "splits_given": source.given_splits,
                "validation_fraction": None if source.given_splits else validation_fraction,
                "image_size": list(image_size) if image_size else None,
                **encoder.counts,
                "skipped": skipped,
                "seconds": round(time.perf_counter() - encoder.start, 1),
            },
        },
    )
    if skipped:
        print(
            f"Skipped {len(skipped)} unreadable image(s); they are listed in "
            f"{os.path.join(dataset_dir, converted.INFO_FILENAME)}."
        )
    return info
