"""Flowers: 3,670 photos of five kinds of flowers (daisy, dandelion, roses, sunflowers, tulips).

Splits: ``train`` and ``validation``, a stratified 350/3,670 of each class held
out (TF-Slim held out 350 photos). The converter reads ``flower_photos.tgz``
(downloaded, or from ``source_dir``, which may also hold it already extracted
as ``flower_photos/``) and keeps each JPEG's bytes as they are. TensorFlow
publishes no checksum for this archive; it is a plain tar of JPEG files,
checked by the image-folder converter as it reads them.
"""

from __future__ import annotations

import os
import tempfile

from datasets import converted, downloads, image_folder
from datasets.splits import DatasetError, DatasetSplit

NAME = "flowers"
SPLITS_TO_SIZES = {"train": 3_320, "validation": 350}
NUM_CLASSES = 5
ARCHIVE = "flower_photos.tgz"
DOWNLOAD_URL = "https://download.tensorflow.org/example_images/" + ARCHIVE
VALIDATION_FRACTION = 350 / 3_670


def get_split(split_name: str, dataset_dir: str | None) -> DatasetSplit:
    """Describes a split of the converted flowers in ``dataset_dir``."""
    return converted.read_split(NAME, split_name, dataset_dir)


def download_and_convert(
    dataset_dir: str,
    source_dir: str | None = None,
    overwrite: bool = False,
    num_shards: int | None = None,
    image_size: tuple[int, int] | None = None,
    strict: bool = False,
    force: bool = False,
    progress: converted.Progress | None = None,
) -> dict:
    """Downloads (or reads from ``source_dir``) the flower photos and converts them.

    Raises:
      DatasetError: the archive is missing or damaged, or the download failed.
    """
    found = converted.already_converted(dataset_dir, NAME, overwrite, force)
    if found:
        return found
    with tempfile.TemporaryDirectory() as work:
        photos = os.path.join(source_dir, "flower_photos") if source_dir else None
        if not (photos and os.path.isdir(photos)):
            archive = (
                os.path.join(source_dir, ARCHIVE)
                if source_dir
                else downloads.download(DOWNLOAD_URL, work, None)
            )
            if not os.path.exists(archive):
                raise DatasetError(
                    f"{archive} not found: --source_dir must hold {ARCHIVE} (or flower_photos/ extracted)."
                )
            downloads.extract(archive, work)
            photos = os.path.join(work, "flower_photos")
        return image_folder.convert(
            NAME,
            photos,
            dataset_dir,
            overwrite=True,
            validation_fraction=VALIDATION_FRACTION,
            num_shards=num_shards,
            image_size=image_size,
            strict=strict,
            force=force,
            progress=progress,
        )
