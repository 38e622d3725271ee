"""SIGTERM and SIGINT stop training cleanly: the loop finishes its steps, saves, and exits.

A cluster's eviction, a preempted VM or ``timeout`` sends SIGTERM; Ctrl-C
sends SIGINT. Either only sets a flag here, so no collective operation of a
multi-worker job is cut in half; the training loop looks at it between calls
of its step function, agrees with the other workers to stop, saves a
checkpoint and exits with 143 (SIGTERM) or 130 (SIGINT), the status a
scheduler expects from a process stopped by that signal (a Job counts it as
failed and starts it again, and it then resumes). While the checkpoint is
being written, further signals are noted and ignored, so the save finishes
whole.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
TERMINATED = EXIT_CODES[signal.SIGTERM]


class StopSignals:
    """Installs the handlers for its ``with`` block; ``requested`` tells whether one came."""

    def __init__(self):
        self.received: int | None = None
        self._saving = False
        self._previous: dict = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            for signum in EXIT_CODES:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum, frame) -> None:
        del frame
        name = signal.Signals(signum).name
        if self._saving:
            print(f"{name}: the checkpoint is being written; it will be whole, then training stops.",
                  file=sys.stderr, flush=True)  # fmt: skip
        elif self.received is None:
            print(f"{name}: finishing the current steps, then saving a checkpoint and stopping.",
                  file=sys.stderr, flush=True)  # fmt: skip
        if self.received is None:
            self.received = signum

    @property
    def requested(self) -> bool:
        return self.received is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.received, 0)

    @contextlib.contextmanager
    def saving(self):
        """A block during which signals do not interrupt (a checkpoint being written)."""
        self._saving = True
        try:
            yield
        finally:
            self._saving = False
