"""The official Pascal VOC releases (2007, 2012): their classes, and their tar files to records.

``pascalvoc_2007.py`` and ``pascalvoc_2012.py`` name the tars and their published
MD5s; the conversion itself is ``pascal_voc.convert``, as for any VOC folder.
"""

from __future__ import annotations

import os
import tempfile

from datasets import converted, downloads, pascal_voc
from datasets.splits import DatasetError

VOC_CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
    "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)  # fmt: skip
VOC_URL = "http://host.robots.ox.ac.uk/pascal/VOC/"


def convert_release(
    name: str,
    year: str,
    archives: dict[str, str],
    dataset_dir: str,
    source_dir: str | None,
    overwrite: bool,
    num_shards: int | None,
    strict: bool,
    force: bool,
    progress: converted.Progress | None,
) -> dict:
    """Downloads (or takes from ``source_dir``) a VOC release's tar files, checks them, and converts them.

    Args:
      archives: tar file name -> published MD5, e.g. VOC2007's trainval and test tars.
    """
    found = converted.already_converted(dataset_dir, name, overwrite, force)
    if found:
        return found
    with tempfile.TemporaryDirectory() as work:
        for archive, md5 in archives.items():
            if source_dir is None:
                path = downloads.download(f"{VOC_URL}voc{year}/{archive}", work, md5)
            else:
                path = os.path.join(source_dir, archive)
                if not os.path.exists(path):
                    raise DatasetError(f"{path} not found: --source_dir must hold {', '.join(archives)}")
                downloads.check_md5(path, md5)
            downloads.extract(path, work)
        folder = os.path.join(work, "VOCdevkit", f"VOC{year}")
        return pascal_voc.convert(name, folder, dataset_dir, overwrite=True, num_shards=num_shards,
                                  strict=strict, force=force, progress=progress,
                                  class_names=VOC_CLASSES)  # fmt: skip
