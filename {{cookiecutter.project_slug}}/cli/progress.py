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

    def __init__(self, unit: str, every: int = 1000, stream=None):
        """``stream``: where the plain lines go (default stdout; eval.py keeps stdout for its JSON)."""
        self.unit, self.every, self.stream = unit, every, stream
        self.bar, self.total, self.start, self.last = None, None, time.perf_counter(), 0

    def __call__(self, done: int, total: int) -> None:
        if total != self.total or done < self.last or done == 0:  # a new pass (next split, next evaluation)
            self.bar = keras.utils.Progbar(total or None, unit_name=self.unit) if on_terminal() else None
            self.total, self.start, self.last = total, time.perf_counter(), 0
        if self.bar is not None:
            self.bar.update(done)
            self.last = done
        elif done - self.last >= self.every or (total and done == total):
            rate = done / max(time.perf_counter() - self.start, 1e-9)
            line = f"  {done}{f'/{total}' if total else ''} {self.unit} ({rate:.0f} {self.unit}/s)"
            print(line, file=self.stream or sys.stdout, flush=True)
            self.last = done


class TrainingProgress:
    """train.py's progress: ``step N: loss = ... (examples/s)`` lines, or a bar with an ETA.

    The bar counts the steps of this process (from ``first_step`` to
    ``max_steps``), so a resumed run's time left is estimated from its own
    pace, and shows the time a step takes, the loss and the validation
    metric (Keras prints every value with 4 decimals: a step number or a rate
    would read ``10.0000``).
    """

    def __init__(self, first_step: int, max_steps: int | None, show: bool = True):
        self.first_step, self.show = first_step, show
        self.bar = None
        if show and on_terminal():
            target = max_steps - first_step if max_steps else None
            self.bar = keras.utils.Progbar(target, stateful_metrics=["loss"], unit_name="step")

    def update(self, step: int, loss: float, rate: float, extra: dict | None = None) -> None:
        if not self.show:
            return
        if self.bar is not None:
            values = [("loss", loss), *(extra or {}).items()]
            self.bar.stateful_metrics.update(name for name, _ in values)
            self.bar.update(step - self.first_step, values=values)
        else:
            print(f"step {step}: loss = {loss:.4f} ({rate:.0f} examples/s)", flush=True)

    def message(self, text: str) -> None:
        """A line of its own (on a terminal: below the bar, which goes on after it)."""
        if self.show:
            print(("\n" if self.bar is not None else "") + text, flush=True)
