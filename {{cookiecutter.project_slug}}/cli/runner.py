"""One place that turns expected failures into ``error: ...`` and exit status 2."""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable

import tensorflow as tf

from errors import UserError, cause

# TensorFlow's file-system errors (tf.io.gfile, checkpoints, TFRecord files):
# a path that is missing, unwritable, full or corrupt, not a bug here.
_FILE_SYSTEM_ERRORS = (
    tf.errors.NotFoundError,
    tf.errors.PermissionDeniedError,
    tf.errors.FailedPreconditionError,
    tf.errors.ResourceExhaustedError,
    tf.errors.AlreadyExistsError,
    tf.errors.DataLossError,
    tf.errors.UnimplementedError,
)


def run(command: Callable[..., int | None], *args) -> int:
    """Calls ``command(*args)``; returns its exit status, or 2 after one ``error:`` line.

    Ctrl-C outside the training loop (which saves first) exits with 130 and
    no traceback.
    """
    try:
        return command(*args) or 0
    except UserError as e:
        return fail(str(e))
    except OSError as e:
        return fail(describe_os_error(e))
    except _FILE_SYSTEM_ERRORS as e:
        return fail(cause(e))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def fail(message: str) -> int:
    sys.stdout.flush()
    print(f"error: {message}", file=sys.stderr)
    return 2


def describe_os_error(e: OSError) -> str:
    where = f"{e.filename}: " if e.filename else ""
    if e.errno == errno.ENOSPC:
        return f"{where}no space left on the device; free some space or write elsewhere"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}not writable here (permission denied); choose a folder you can write to"
    if e.errno == errno.ENOTDIR:
        return f"{where}a path component is a file, not a folder"
    return f"{where}{e.strerror or e}"
