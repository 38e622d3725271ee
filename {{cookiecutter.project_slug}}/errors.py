"""The one base class of failures a user can cause and fix.

Library code raises a subclass of ``UserError`` (a dataset that is missing or
corrupt, a checkpoint that does not fit, a placement this machine cannot make,
an export that would overwrite something) with a message that says what to
do. Entry points turn it into one ``error: ...`` line and exit status 2
(``cli/runner.py``); anything else is a bug and keeps its traceback.
``cause`` says in words why an OS or TensorFlow call failed, for messages.
"""

from __future__ import annotations

import errno
import re


class UserError(Exception):
    """An expected failure; its message names the problem and how to fix it."""


def cause(e: BaseException) -> str:
    """Why an OS or TensorFlow call failed, in words: the first line of its message without
    TensorFlow's op and device decorations (its function node, ``[Op:...]``); a full
    disk, a refused permission, a file that is no image and an image too large to decode said
    plainly."""
    number = getattr(e, "errno", None)
    message = getattr(e, "message", None) or getattr(e, "strerror", None) or str(e)
    line = message.strip().splitlines()[0] if message.strip() else type(e).__name__
    line = re.sub(r"\{\{[^}]*\}\}", "", line).split(" [Op:")[0].strip()
    if number == errno.ENOSPC or "No space left on device" in line:
        return "no space left on the device"
    if number in (errno.EACCES, errno.EPERM, errno.EROFS) or "Permission denied" in line:
        return "permission denied"
    if "Unknown image file format" in line:
        # TF's message lists formats (WebP, JPEG XL) that its decoder here does not take.
        return "not a PNG, JPEG, GIF or BMP image"
    size = re.search(r"PNG size too large for int: (\d+) by (\d+)", line)
    if size:
        return (
            f"the PNG is {size[1]} x {size[2]} pixels, more than TensorFlow's decoder takes "
            "(2 GiB of pixels); shrink it"
        )
    return line
