"""Progress: a bar with an ETA on a terminal, plain lines everywhere else (CI, files, clusters).

``Progress`` (conversions, evaluations) draws Keras' ``Progbar``, the one
``model.fit`` draws: it comes with TensorFlow (no dependency to add), redraws
in place on a terminal and shows the rate and time left. Without a terminal it
would print a line per update, so there ``Progress`` prints a plain line every
``every`` items instead. Training draws its own line (``TrainingProgress``).
"""

from __future__ import annotations

import datetime
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
    """train.py's progress: ``step N: loss = ... (examples/s)`` lines, or on a terminal one line redrawn
    in place.

    The line shows the global step of ``max_steps`` (a resumed run from step 20 to 30 shows 21/30 ...
    30/30, as the plain lines and the checkpoints count), a bar, examples/s, the loss, the validation
    metric and the time left, estimated from this process's own pace. (Keras' Progbar, which ``Progress``
    draws, counts from 0 and prints every value with 4 decimals: a step or a rate would read ``10.0000``.)
    """

    WIDTH = 20  # characters of the bar

    def __init__(self, first_step: int, max_steps: int | None, show: bool = True):
        self.first_step, self.max_steps, self.show = first_step, max_steps, show
        self.redraw = show and on_terminal()
        self.start, self.extra = time.perf_counter(), {}

    def update(self, step: int, loss: float, rate: float, extra: dict | None = None) -> None:
        if not self.show:
            return
        if not self.redraw:
            print(f"step {step}: loss = {loss:.4f} ({rate:.0f} examples/s)", flush=True)
            return
        self.extra.update(extra or {})
        print("\r" + self.line(step, loss, rate) + "\x1b[K", end="", flush=True)  # \x1b[K: clear the rest

    def line(self, step: int, loss: float, rate: float) -> str:
        """What the terminal shows at ``step``."""
        shown = [f"step {step}"]
        if self.max_steps:
            filled = min(self.WIDTH, self.WIDTH * step // self.max_steps)
            shown = [f"step {step}/{self.max_steps}", "[" + "=" * filled + "." * (self.WIDTH - filled) + "]"]
        shown += [f"{rate:.0f} examples/s", f"loss {loss:.4f}"]
        shown += [f"{name} {value:.4f}" for name, value in self.extra.items()]
        if self.max_steps and step > self.first_step:
            seconds = (time.perf_counter() - self.start) / (step - self.first_step) * (self.max_steps - step)
            shown.append(f"{datetime.timedelta(seconds=round(seconds))} left")
        return "  ".join(shown)

    def message(self, text: str) -> None:
        """A line of its own (on a terminal: below the progress line, which goes on after it)."""
        if self.show:
            print(("\n" if self.redraw else "") + text, flush=True)
