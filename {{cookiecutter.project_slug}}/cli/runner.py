"""One place that turns expected failures into ``error: ...`` and exit status 2."""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable

from cli import startup

import tensorflow as tf

from errors import UserError, cause


def _file_system_errors() -> tuple[type[Exception], ...]:
    """TensorFlow's file-system errors (tf.io.gfile, checkpoints, TFRecord files): a path that is
    missing, unwritable, full or corrupt, not a bug here."""
    e = tf.errors
    return (e.NotFoundError, e.PermissionDeniedError, e.FailedPreconditionError, e.ResourceExhaustedError,
            e.AlreadyExistsError, e.DataLossError, e.UnimplementedError)  # fmt: skip


def run(command: Callable[..., int | None], *args) -> int:
    """Imports TensorFlow (the flags were parsed without it), then calls ``command(*args)``; returns
    its exit status, or 2 after one ``error:`` line.

    Ctrl-C outside the training loop (which saves first) exits with 130 and
    no traceback.
    """
    startup.start()
    try:
        return command(*args) or 0
    except UserError as e:
        return fail(str(e))
    except OSError as e:
        return fail(describe_os_error(e))
    except _file_system_errors() as e:
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
