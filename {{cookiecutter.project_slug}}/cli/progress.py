"""Progress: a bar with an ETA on a terminal, plain lines everywhere else (CI, files, clusters).

The bar is Keras' ``Progbar``, the one ``model.fit`` draws: it comes with
TensorFlow (no dependency to add), redraws in place on a terminal and shows
the rate and time left. Without a terminal it would print a line per update,
so there ``Progress`` prints a plain line every ``every`` items instead.
"""

from __future__ import annotations

import sys
import time

from tensorflow import keras


def on_terminal() -> bool:
    return sys.stdout.isatty()


class Progress:
    """``progress(done, total)``: call it as work proceeds (total 0: unknown)."""

    def __init__(self, unit: str, every: int = 1000):
        self.unit, self.every = unit, every
        self.bar, self.total, self.start, self.last = None, None, time.perf_counter(), 0

    def __call__(self, done: int, total: int) -> None:
        if total != self.total:  # a new pass (e.g. the next split)
            self.bar = keras.utils.Progbar(total or None, unit_name=self.unit) if on_terminal() else None
            self.total, self.start, self.last = total, time.perf_counter(), 0
        if self.bar is not None:
            self.bar.update(done)
        elif done - self.last >= self.every or (total and done == total):
            rate = done / max(time.perf_counter() - self.start, 1e-9)
            of = f"/{total}" if total else ""
            print(f"  {done}{of} {self.unit} ({rate:.0f} {self.unit}/s)", flush=True)
            self.last = done
