"""Downloading raw dataset files, checking them against published checksums, and unpacking them."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request

from datasets.splits import DatasetError


def md5(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()


def check_md5(path: str, expected: str | None) -> None:
    """Raises DatasetError unless ``path`` has the published MD5 checksum (None: nothing published)."""
    if expected is not None and (found := md5(path)) != expected:
        raise DatasetError(
            f"{path} has MD5 {found}, not the published {expected}: the file is damaged, incomplete "
            "or not the official one. Download it again from the dataset's page."
        )


def download(url: str, directory: str, expected_md5: str | None) -> str:
    """Downloads ``url`` into ``directory`` and checks its checksum; returns the path.

    Raises:
      OSError: the download failed (the message says how to go on offline).
      DatasetError: the file is not the published one.
    """
    path = os.path.join(directory, url.rsplit("/", 1)[-1])
    print(f"Downloading {url}", flush=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(path + ".incomplete", "wb") as f:
            shutil.copyfileobj(response, f)
    except (urllib.error.URLError, OSError) as e:
        raise DatasetError(
            f"could not download {url} ({e}). If you have the file, pass --source_dir=DIR "
            "with the folder that holds it."
        ) from e
    os.replace(path + ".incomplete", path)
    check_md5(path, expected_md5)
    return path


def extract(archive: str, directory: str) -> None:
    """Extracts a tar archive (gzipped or not) into ``directory``; a damaged archive gets a clear error.

    Members that would land outside ``directory`` (absolute paths, ``..``,
    links out) are refused by tarfile's "data" filter.
    """
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(directory, filter="data")
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DatasetError(
            f"{archive} cannot be extracted ({e}); it is truncated or corrupt: download it again."
        ) from e
