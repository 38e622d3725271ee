"""Downloading and unpacking raw dataset files, with messages that say what to do offline."""

from __future__ import annotations

import os
import shutil
import tarfile
import urllib.error
import urllib.request

from datasets import dataset_utils


def download(url: str, directory: str) -> str:
    """Downloads ``url`` into ``directory`` (under a temporary name until complete); returns the path."""
    path = os.path.join(directory, url.rsplit("/", 1)[-1])
    print(f"Downloading {url}", flush=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(path + ".incomplete", "wb") as f:
            shutil.copyfileobj(response, f)
    except (urllib.error.URLError, OSError) as e:
        raise OSError(
            f"could not download {url} ({e}). If you have the file, pass --source_dir=DIR "
            "with the folder that holds it."
        ) from e
    os.replace(path + ".incomplete", path)
    return path


def extract(archive: str, directory: str) -> None:
    """Extracts a .tar.gz/.tgz archive into ``directory``; a damaged archive gets a clear error."""
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(directory, filter="data")
    except (tarfile.TarError, EOFError, OSError) as e:
        raise dataset_utils.DatasetError(
            f"{archive} cannot be extracted ({e}); it is truncated or corrupt: download it again."
        ) from e
