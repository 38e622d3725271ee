"""ImageNet's 1,000 class names, for nets that answer in ImageNet's classes (TF-Slim's checkpoints).

``imagenet_class_names.txt`` holds one name per line in the classes' standard
order (sorted WordNet ids, as TF-Slim's and Keras' weights number them).
TF-Slim's 1,001-class checkpoints put a background class first.
"""

from __future__ import annotations

import os

NAMES_FILE = os.path.join(os.path.dirname(__file__), "imagenet_class_names.txt")


def labels_to_names(num_classes: int) -> dict[int, str] | None:
    """Class id -> name for a net with ``num_classes`` outputs: ImageNet's with 1000 or 1001, else None."""
    with open(NAMES_FILE, encoding="utf-8") as f:
        names = f.read().splitlines()
    if num_classes == len(names) + 1:
        names = ["background", *names]
    return dict(enumerate(names)) if num_classes == len(names) else None
