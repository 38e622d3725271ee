"""Pascal VOC 2012 detection: 20 classes of everyday objects, boxes with ``difficult`` flags.

Splits (ImageSets/Main): train 5,717, val 5,823 and trainval 11,540 images, as published
(VOC2012 released no test annotations). The converter reads the official tar
file VOCtrainval_11-May-2012.tar (downloaded, or from ``source_dir``), checked
against its published MD5 checksum.
Records are SSD-Tensorflow's (see ``pascal_voc.py``); labels 1 to 20 in
SSD-Tensorflow's order (aeroplane ... tvmonitor).
"""

from __future__ import annotations

from datasets import converted, detection_codec, voc_releases
from datasets.splits import DatasetSplit

NAME = "pascalvoc_2012"
SPLITS_TO_SIZES = {"train": 5_717, "val": 5_823, "trainval": 11_540}
NUM_CLASSES = len(voc_releases.VOC_CLASSES)
ARCHIVES = {"VOCtrainval_11-May-2012.tar": "6cd6e144f989b92b3379bac3b3de84fd"}


def get_split(split_name: str, dataset_dir: str | None) -> DatasetSplit:
    """Describes a split of the converted VOC2012 data in ``dataset_dir``."""
    return converted.read_split(NAME, split_name, dataset_dir, detection_codec.decoder)


def download_and_convert(
    dataset_dir: str,
    source_dir: str | None = None,
    overwrite: bool = False,
    num_shards: int | None = None,
    strict: bool = False,
    force: bool = False,
    progress: converted.Progress | None = None,
) -> dict:
    """Downloads (or reads from ``source_dir``) the VOC2012 tar files and converts them."""
    return voc_releases.convert_release(
        NAME, "2012", ARCHIVES, dataset_dir, source_dir, overwrite, num_shards, strict, force, progress
    )
