"""Pascal VOC 2007 detection: 20 classes of everyday objects, boxes with ``difficult`` flags.

Splits (ImageSets/Main): train 2,501, val 2,510, trainval 5,011 and test 4,952 images, as published.
The converter reads the two official tar files, VOCtrainval_06-Nov-2007.tar and
VOCtest_06-Nov-2007.tar (downloaded, or from ``source_dir``), checked against
their published MD5 checksums.
Records are SSD-Tensorflow's (see ``pascal_voc.py``); labels 1 to 20 in
SSD-Tensorflow's order (aeroplane ... tvmonitor).
"""

from __future__ import annotations

from datasets import converted, detection_codec, voc_releases
from datasets.splits import DatasetSplit

NAME = "pascalvoc_2007"
SPLITS_TO_SIZES = {"train": 2_501, "val": 2_510, "trainval": 5_011, "test": 4_952}
NUM_CLASSES = len(voc_releases.VOC_CLASSES)
ARCHIVES = {
    "VOCtrainval_06-Nov-2007.tar": "c52e279531787c972589f7e41ab4ae64",
    "VOCtest_06-Nov-2007.tar": "b6e924de25625d8de591ea690078ad9f",
}


def get_split(split_name: str, dataset_dir: str | None) -> DatasetSplit:
    """Describes a split of the converted VOC2007 data in ``dataset_dir``."""
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
    """Downloads (or reads from ``source_dir``) the VOC2007 tar files and converts them."""
    return voc_releases.convert_release(
        NAME, "2007", ARCHIVES, dataset_dir, source_dir, overwrite, num_shards, strict, force, progress
    )
