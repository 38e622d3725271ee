"""Imports TensorFlow without its start-up banner (``cli/__init__.py`` calls ``start``).

TensorFlow's C++ runtime prints notices while it loads (the oneDNN notice,
absl's "log messages before InitializeLog" warning) straight to file
descriptor 2, before TF_CPP_MIN_LOG_LEVEL is read. This module captures
descriptor 2 during the import and prints back every line that is not one of
those known notices, so real errors still show. It changes no setting that
affects speed (TF_ENABLE_ONEDNN_OPTS=0 would silence the notice but costs
about 30% on CPU). Importing it again, or after TensorFlow, does nothing more.
"""

from __future__ import annotations

import os
import sys
import tempfile

_NOTICES = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "cpu_feature_guard",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions:",
)


def start():
    """Imports and returns ``tensorflow``, hiding only its known start-up notices."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow

            tensorflow.keras.layers  # noqa: B018  (loading Keras prints the banner a second time)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode(errors="replace").splitlines(keepends=True):
                if not any(notice in line for notice in _NOTICES):
                    sys.stderr.write(line)
    return tensorflow
