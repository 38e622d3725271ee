"""Pascal VOC annotations to detection records, with no code: any folder in VOC's layout.

    VOCDIR/Annotations/<name>.xml     one per image: <object><name>, <bndbox>, <difficult>, <truncated>
    VOCDIR/JPEGImages/<name>.jpg
    VOCDIR/ImageSets/Main/{train,val,trainval,test}.txt   (optional)

With ``ImageSets/Main`` the splits are the lists there (``trainval`` is made
from ``train`` and ``val`` when only those are given). Without, a seeded split
holds out ``validation_fraction`` of the images as ``validation``, stratified
by each image's most frequent class. Records use TF-Slim / SSD-Tensorflow's
keys (boxes normalised to [0, 1], labels 1-based, 0 being background). Class
names are stripped; boxes are clipped to the image; boxes of zero area are
dropped and counted; grayscale and CMYK JPEGs become RGB; a malformed
annotation, a missing image, or a ``<filename>`` that leads out of
``JPEGImages/`` (absolute, or through ``..``; never read) is reported by path
and skipped (``strict``: fatal). ``labels.txt`` and ``dataset_info.json`` record the classes and the
box counts per class and split.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import os
import time
import xml.etree.ElementTree as ElementTree

import numpy as np
import tensorflow as tf

from datasets import converted, detection_codec, example_codec
from datasets.splits import DatasetError, DatasetSplit
from errors import cause
from tasks.box_ops import DETECTION

FORMAT = "pascal_voc"
IMAGE_SETS = ("train", "val", "trainval", "test")
EXAMPLES_PER_SHARD = 500


@dataclasses.dataclass
class Annotation:
    """One image's annotation: pixel boxes (xmin, ymin, xmax, ymax) and their objects' attributes."""

    name: str
    filename: str
    width: int
    height: int
    names: list[str]
    boxes: list[tuple[float, float, float, float]]
    difficult: list[int]
    truncated: list[int]


def looks_like(path: str) -> bool:
    return os.path.isdir(os.path.join(path, "Annotations"))


def parse(path: str) -> Annotation:
    """Reads one VOC XML file.

    Raises:
      DatasetError: the XML is malformed or lacks what every annotation has.
    """
    try:
        root = ElementTree.parse(path).getroot()
        size = root.find("size")
        width, height = int(float(size.findtext("width"))), int(float(size.findtext("height")))
        names, boxes, difficult, truncated = [], [], [], []
        for item in root.iter("object"):
            box = item.find("bndbox")
            names.append(item.findtext("name").strip())
            boxes.append(tuple(float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")))
            difficult.append(int(float(item.findtext("difficult") or 0)))
            truncated.append(int(float(item.findtext("truncated") or 0)))
    except (ElementTree.ParseError, AttributeError, TypeError, ValueError) as e:
        raise DatasetError(f"{converted.shown(path)}: not a readable VOC annotation ({e})") from e
    filename = (root.findtext("filename") or "").strip()
    name = os.path.splitext(os.path.basename(path))[0]
    return Annotation(name, filename, width, height, names, boxes, difficult, truncated)


def get_split(split_name: str, dataset_dir: str | None, dataset_name: str) -> DatasetSplit:
    """Describes a split of a VOC folder converted by ``convert`` into ``dataset_dir``."""
    return converted.read_split(dataset_name, split_name, dataset_dir, detection_codec.decoder)


def convert(
    dataset_name: str,
    source_dir: str,
    dataset_dir: str,
    overwrite: bool = False,
    validation_fraction: float = 0.1,
    num_shards: int | None = None,
    strict: bool = False,
    seed: int = 0,
    force: bool = False,
    progress: converted.Progress | None = None,
    class_names: tuple[str, ...] | None = None,
) -> dict:
    """Converts a VOC folder into detection records in ``dataset_dir``.

    Args:
      dataset_name: Names the shards and goes into ``dataset_info.json``.
      source_dir: The VOC folder (``Annotations/``, ``JPEGImages/``, optionally ``ImageSets/Main/``).
      dataset_dir: Where shards, ``labels.txt`` and ``dataset_info.json`` go.
      overwrite: Convert again over a finished conversion of this dataset.
      validation_fraction: Held out as ``validation`` when there are no ImageSets.
      num_shards: Shards per split (default: one per 500 images).
      strict: Fail on the first malformed annotation or missing image instead of skipping it.
      seed: Picks the held-out images.
      force: Replace another dataset converted into ``dataset_dir``.
      progress: Called with (done, total) as images are written.
      class_names: The classes, in label order (default: every name found, sorted).

    Raises:
      DatasetError: the folder is not VOC's layout, holds no object, or (strict) a bad file.
    """
    found = converted.already_converted(dataset_dir, dataset_name, overwrite, force)
    if found:
        return found
    annotations, skipped = _read_annotations(source_dir, strict)
    names = tuple(class_names or sorted({n for a in annotations.values() for n in a.names}))
    if not names:
        raise DatasetError(f"{source_dir}/Annotations holds no <object>: nothing to detect")
    splits = _splits(source_dir, annotations, names, validation_fraction, seed)
    writer = converted.DatasetWriter(dataset_dir, dataset_name, progress)
    counts = _Counts(names)
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        for split_name, members in splits.items():
            chosen = [annotations[m] for m in members]
            records = _records(pool, source_dir, chosen, names, split_name, counts, strict, skipped)
            shards = num_shards or max(1, -(-len(members) // EXAMPLES_PER_SHARD))
            writer.write_split(split_name, records, shards, total=len(members))
    info = writer.finish(
        {k + 1: name for k, name in enumerate(names)},
        {
            "task": DETECTION,
            "format": FORMAT,
            "num_classes": len(names),
            "image_shape": [None, None, 3],
            "boxes_per_class": counts.per_class,
            "conversion": {
                "source_dir": os.path.abspath(source_dir),
                "splits_given": os.path.isdir(os.path.join(source_dir, "ImageSets", "Main")),
                "zero_area_boxes_dropped": len(counts.zero_area_boxes),
                "boxes_clipped": len(counts.clipped_boxes),
                "skipped": skipped,
                "seconds": round(time.perf_counter() - start, 1),
            },
        },
    )
    if skipped:
        print(f"Skipped {len(skipped)} file(s); see {os.path.join(dataset_dir, converted.INFO_FILENAME)}.")
    return info


def _read_annotations(source_dir: str, strict: bool) -> tuple[dict[str, Annotation], list[str]]:
    folder = os.path.join(source_dir, "Annotations")
    if not os.path.isdir(folder):
        raise DatasetError(
            f"{source_dir} is not a Pascal VOC folder: it has no Annotations/ (and JPEGImages/)"
        )
    annotations, skipped = {}, []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".xml"):
            continue
        try:
            annotation = parse(os.path.join(folder, name))
        except DatasetError as e:
            if strict:
                raise DatasetError(f"{e} (--strict)") from e
            print(f"  skipped {e}", flush=True)
            skipped.append(converted.shown(os.path.join(folder, name)))
            continue
        annotations[annotation.name] = annotation
    if not annotations:
        raise DatasetError(f"{folder} holds no readable .xml annotation")
    return annotations, skipped


def _splits(source_dir, annotations, names, validation_fraction, seed) -> dict[str, list[str]]:
    lists = os.path.join(source_dir, "ImageSets", "Main")
    given = {
        s: os.path.join(lists, f"{s}.txt")
        for s in IMAGE_SETS
        if os.path.exists(os.path.join(lists, f"{s}.txt"))
    }
    if given:
        splits = {}
        for split, path in given.items():
            with open(path, encoding="utf-8") as f:
                ids = [line.split()[0] for line in f if line.strip()]
            splits[split] = [i for i in ids if i in annotations]
        if "trainval" not in splits and {"train", "val"} <= set(splits):
            splits["trainval"] = splits["train"] + splits["val"]
        return splits
    # No lists: hold out a share of each class's images, each image counted under its most frequent class.
    rng = np.random.default_rng(seed)
    by_class = collections.defaultdict(list)
    for key in sorted(annotations):
        found = annotations[key].names
        main = collections.Counter(found).most_common(1)[0][0] if found else ""
        by_class[main].append(key)
    train, validation = [], []
    for key in sorted(by_class):
        members = [by_class[key][i] for i in rng.permutation(len(by_class[key]))]
        held = int(round(len(members) * validation_fraction))
        validation += members[:held]
        train += members[held:]
    return {"train": train, **({"validation": validation} if validation else {})}


class _Counts:
    def __init__(self, names):
        self.names = names
        self.per_class: dict[str, dict[str, int]] = {}
        self.zero_area_boxes: set = set()  # (image, box index): an image can be in two splits (trainval)
        self.clipped_boxes: set = set()

    def add(self, split: str, name: str) -> None:
        split_counts = self.per_class.setdefault(split, {n: 0 for n in self.names})
        split_counts[name] += 1


def _records(pool, source_dir, annotations, names, split_name, counts, strict, skipped):
    """Serialized detection examples, in order; unreadable images skipped (or fatal when strict)."""
    label_of = {name: k + 1 for k, name in enumerate(names)}
    for chunk_start in range(0, len(annotations), 64):
        chunk = annotations[chunk_start : chunk_start + 64]
        for annotation, image in zip(
            chunk, pool.map(lambda a: _read_image(source_dir, a), chunk), strict=True
        ):
            if isinstance(image, str):
                if strict:
                    raise DatasetError(f"{image} (--strict)")
                print(f"  skipped {image}", flush=True)
                skipped.append(image)
                continue
            encoded, height, width = image
            boxes, labels, texts, difficult, truncated = [], [], [], [], []
            for name, box, hard, cut in zip(annotation.names, annotation.boxes, annotation.difficult,
                                            annotation.truncated, strict=True):  # fmt: skip
                if name not in label_of:
                    continue  # a class outside the given class list
                xmin, ymin, xmax, ymax = box
                clipped = (min(max(ymin / height, 0.0), 1.0), min(max(xmin / width, 0.0), 1.0),
                           min(max(ymax / height, 0.0), 1.0), min(max(xmax / width, 0.0), 1.0))  # fmt: skip
                if clipped != (ymin / height, xmin / width, ymax / height, xmax / width):
                    counts.clipped_boxes.add((annotation.name, box))
                if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
                    counts.zero_area_boxes.add((annotation.name, box))
                    continue
                boxes.append(clipped)
                labels.append(label_of[name])
                texts.append(name)
                difficult.append(hard)
                truncated.append(cut)
                counts.add(split_name, name)
            filename = converted.shown(annotation.filename or f"{annotation.name}.jpg")
            yield detection_codec.to_tfexample(
                encoded, b"jpeg", height, width, filename, boxes, labels, texts, difficult, truncated
            ).SerializeToString()


def _read_image(source_dir: str, annotation: Annotation):
    """``(JPEG bytes, height, width)``, re-encoded when not a 3-channel JPEG; or the error as a string.

    The annotation's ``<filename>`` is data: a name that leads out of ``JPEGImages/`` (absolute, or
    through ``..``) is refused, never read.
    """
    folder = os.path.join(source_dir, "JPEGImages")
    xml = converted.shown(os.path.join(source_dir, "Annotations", annotation.name + ".xml"))
    if annotation.filename and not _inside(annotation.filename):
        return (
            f"{xml}: its <filename> {annotation.filename!r} leads outside {folder}; a VOC set's "
            "images must be in its JPEGImages/ (the file was not read)"
        )
    candidates = [annotation.filename] if annotation.filename else []
    candidates += [f"{annotation.name}{ext}" for ext in (".jpg", ".jpeg", ".png", ".JPG")]
    path = next(
        (os.path.join(folder, c) for c in candidates if os.path.exists(os.path.join(folder, c))), None
    )
    if path is None:
        expected = converted.shown(os.path.join(folder, candidates[0]))
        return f"{expected}: image not found for {xml}"
    try:
        raw = converted.read_source(path)
        stored = tf.io.decode_image(raw, channels=0, expand_animations=False)
        image = example_codec.decode_image(raw, 3)  # grayscale and CMYK become RGB
    except OSError as e:
        return f"{converted.shown(path)}: cannot read the image ({e.strerror or e})"
    except tf.errors.OpError as e:
        return f"{converted.shown(path)}: cannot read the image ({cause(e)[:200]})"
    height, width = int(image.shape[0]), int(image.shape[1])
    if raw[:2] == b"\xff\xd8" and stored.shape[-1] == 3:
        return raw, height, width
    return tf.io.encode_jpeg(image, quality=95).numpy(), height, width


def _inside(name: str) -> bool:
    """Whether a file name taken from an annotation stays inside the folder it is joined to."""
    parts = name.replace("\\", "/").split("/")
    return not name.startswith(("/", "\\")) and not os.path.isabs(name) and ".." not in parts
