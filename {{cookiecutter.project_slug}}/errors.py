"""The one base class of failures a user can cause and fix.

Library code raises a subclass of ``UserError`` (a dataset that is missing or
corrupt, a checkpoint that does not fit, a placement this machine cannot make,
an export that would overwrite something) with a message that says what to
do. Entry points turn it into one ``error: ...`` line and exit status 2
(``cli/runner.py``); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """An expected failure; its message names the problem and how to fix it."""
