"""TensorFlow imported when it is first used, and without its start-up banner.

Importing TensorFlow takes 3 to 5 seconds; parsing flags needs none of it. So
``defer`` (``cli/__init__.py`` calls it) puts a stand-in for ``tensorflow`` in
``sys.modules``: modules that ``import tensorflow as tf`` (or ``from tensorflow
import keras``) while the flags are parsed get the stand-in, and ``--help`` or a
refused flag answers at once. The first use of one of its attributes, or
``start`` (which ``cli.runner`` calls once the flags are parsed), imports the
real module; from then on ``sys.modules`` holds it, and the stand-in passes
every attribute on (each is looked up once, then kept on the stand-in).

TensorFlow's C++ runtime prints notices while it loads (the oneDNN notice,
absl's "log messages before InitializeLog" warning) straight to file
descriptor 2, before TF_CPP_MIN_LOG_LEVEL is read. ``start`` captures
descriptor 2 during the import and prints back every line that is not one of
those known notices, so real errors still show. It changes no setting that
affects speed (TF_ENABLE_ONEDNN_OPTS=0 would silence the notice but costs
about 30% on CPU).
"""

from __future__ import annotations

import os
import sys
import tempfile
import types

_NOTICES = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "cpu_feature_guard",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions:",
)
_real: types.ModuleType | None = None  # tensorflow, once imported


class _Deferred(types.ModuleType):
    """``tensorflow`` (or one of its attributes, ``keras``) until it is used."""

    def __init__(self, path: tuple[str, ...] = ()):
        super().__init__(".".join(("tensorflow", *path)))
        self._path = path

    def __getattr__(self, name: str):
        if _real is None and name == "__path__":
            # Asked by `from tensorflow import keras`: no package yet, so the import reads .keras instead.
            raise AttributeError(name)
        if _real is None and self._path == () and name == "keras":
            return _Deferred(("keras",))  # `from tensorflow import keras` while the flags are parsed
        value = start()
        for part in (*self._path, name):
            value = getattr(value, part)
        setattr(self, name, value)  # found in __dict__ from now on: no lookup through here again
        return value


def defer() -> None:
    """Puts the stand-in for ``tensorflow`` in ``sys.modules``, unless it is there already."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.modules.setdefault("tensorflow", _Deferred())


def start() -> types.ModuleType:
    """Imports and returns ``tensorflow`` (once), hiding only its known start-up notices."""
    global _real
    if _real is not None:
        return _real
    if isinstance(sys.modules.get("tensorflow"), _Deferred):
        del sys.modules["tensorflow"]
    if "tensorflow" in sys.modules:  # imported before this module was
        _real = sys.modules["tensorflow"]
        return _real
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
    _real = tensorflow
    return _real
