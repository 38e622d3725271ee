"""The training folder: one trainer at a time, no partial checkpoint left behind.

``TrainDirLock`` is a lock file (``.train.lock``: host, process id, start
time, last heartbeat) that the chief holds while it trains. A second trainer
on the same folder is refused with a message naming the first. A lock whose
process is gone is taken over with a message: on the same host that is known
at once; from another host, when its heartbeat is older than
``STALE_AFTER_SECS``.

``save`` writes a checkpoint and, when that fails (a full disk), removes what
the failed save left, so the previous checkpoint stays the latest and whole.
``remove_leftovers`` deletes what an interrupted process left (``ckpt-N_temp``
folders, ``*.incomplete`` files). ``set_aside`` moves damaged checkpoints
(truncated or corrupt files) into ``damaged/`` and out of the checkpoint
list, so that training resumes from the newest intact one.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator

import tensorflow as tf
from google.protobuf import text_format

from datasets import converted
from deployment import model_deploy
from errors import UserError, cause

LOCK_NAME = ".train.lock"
STALE_AFTER_SECS = 15 * 60
HEARTBEAT_SECS = 60


@contextlib.contextmanager
def made_for_this_run(train_dir: str, enabled: bool = True) -> Iterator[None]:
    """Creates ``train_dir`` for the block; a run that fails and leaves the folder it created empty
    (a refused checkpoint or dataset, before any step) removes it again: nothing looks like a run."""
    created = enabled and not tf.io.gfile.exists(train_dir)
    if enabled:
        model_deploy.make_train_dir(train_dir)
    try:
        yield
    finally:  # a run that trained left its checkpoints, and one that was already done made no folder
        if created and tf.io.gfile.isdir(train_dir) and not tf.io.gfile.listdir(train_dir):
            tf.io.gfile.rmtree(train_dir)


class TrainDirLock:
    """``with TrainDirLock(train_dir):`` holds the lock for the block (``enabled=False``: a no-op)."""

    def __init__(self, train_dir: str, enabled: bool = True):
        self.enabled = enabled
        self.path = os.path.join(train_dir, LOCK_NAME)
        self.record = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}
        self.last_beat = 0.0

    def __enter__(self) -> TrainDirLock:
        if self.enabled:
            self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.release()

    def acquire(self) -> None:
        """Takes the lock, or raises UserError naming the trainer that holds it."""
        held = self._read()
        if held is not None:
            reason = self._gone(held)
            if reason is None:
                started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(held.get("started", 0)))
                raise UserError(
                    f"another train.py (process {held.get('pid')} on {held.get('host')}, started {started}) "
                    f"is training into {os.path.dirname(self.path)}; wait for it to finish or stop it, or "
                    "give this run another --train_dir. (If that process is surely gone, delete "
                    f"{self.path}.)"
                )
            print(f"Taking over {self.path}: {reason}.", flush=True)
            tf.io.gfile.remove(self.path)
        self._create()

    def heartbeat(self) -> None:
        """Refreshes the lock's time stamp (cheap; at most every HEARTBEAT_SECS)."""
        now = time.time()
        if not self.enabled:
            return
        if now - self.last_beat >= HEARTBEAT_SECS:
            self._write({**self.record, "heartbeat": now})
            self.last_beat = now

    def release(self) -> None:
        held = self._read()
        if held and held.get("pid") == self.record["pid"] and held.get("host") == self.record["host"]:
            tf.io.gfile.remove(self.path)

    def _gone(self, held: dict) -> str | None:
        """Why the holder is gone, or None while it may be running."""
        pid = held.get("pid")
        if held.get("host") == self.record["host"]:
            if pid == os.getpid() or not _alive(pid, held.get("started", 0)):
                return f"the trainer that held it (process {pid}) is gone"
            return None
        age = time.time() - held.get("heartbeat", held.get("started", 0))
        if age > STALE_AFTER_SECS:
            return f"its trainer on {held.get('host')} has not been heard of for {age / 60:.0f} minutes"
        return None

    def _read(self) -> dict | None:
        if not tf.io.gfile.exists(self.path):
            return None
        try:
            with tf.io.gfile.GFile(self.path) as f:
                return json.load(f)
        except (json.JSONDecodeError, tf.errors.NotFoundError):
            return {}  # half-written or just removed: treat as a lock whose holder is unknown

    def _create(self) -> None:
        if "://" in self.path:  # object stores have no exclusive create: write and read back
            self._write(self.record)
            if self._read() != self.record:
                raise UserError(f"another train.py took {self.path} at the same moment; try again")
            return
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise UserError(f"another train.py took {self.path} at the same moment; try again") from None
        with os.fdopen(fd, "w") as f:
            json.dump(self.record, f)

    def _write(self, record: dict) -> None:
        # A new file renamed over the old one: whole at every moment (and ram:// appends on "w").
        with tf.io.gfile.GFile(self.path + ".new", "w") as f:
            json.dump(record, f)
        tf.io.gfile.rename(self.path + ".new", self.path, overwrite=True)


def _alive(pid, lock_started: float) -> bool:
    """Whether process ``pid`` exists and is older than the lock (not a later process given its number)."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: when did that process start? One that started after the lock is not its holder.
        with open(f"/proc/{pid}/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime"))
        return boot + start_ticks / os.sysconf("SC_CLK_TCK") <= lock_started + 1
    except (OSError, ValueError, StopIteration):
        return True


def remove_leftovers(train_dir: str) -> list[str]:
    """Deletes what an interrupted process left in ``train_dir``; returns the paths removed."""
    removed = []
    for pattern in ("*_temp", "*_temp_*", "*.incomplete"):
        for path in tf.io.gfile.glob(os.path.join(train_dir, pattern)):
            if tf.io.gfile.isdir(path):
                tf.io.gfile.rmtree(path)
            else:
                tf.io.gfile.remove(path)
            removed.append(path)
    return removed


def save(manager: tf.train.CheckpointManager, step: int) -> str:
    """Saves checkpoint ``step``; if that fails, removes its partial files and says what is intact.

    Raises:
      UserError: the save failed (e.g. the disk is full); the message names
        the previous checkpoint, which is still the latest.
    """
    try:
        return manager.save(checkpoint_number=step)
    except (OSError, tf.errors.OpError) as e:
        prefix = os.path.join(manager.directory, f"ckpt-{step}")  # CheckpointManager's default name
        if tf.train.latest_checkpoint(manager.directory) != prefix:  # not recorded: it is partial
            for path in tf.io.gfile.glob(prefix + "*"):
                (tf.io.gfile.rmtree if tf.io.gfile.isdir(path) else tf.io.gfile.remove)(path)
        previous = tf.train.latest_checkpoint(manager.directory)
        raise UserError(
            f"{cause(e)}: could not write checkpoint {prefix}; its partial files were removed, and "
            + (
                f"{previous} is the latest checkpoint, intact."
                if previous
                else "there is no earlier checkpoint."
            )
            + " Free some space (or fix the folder) and run again to resume."
        ) from e


def set_aside(train_dir: str, damaged: list[str]) -> str:
    """Moves the files of each ``damaged`` checkpoint into ``train_dir/damaged/`` and drops it from
    the folder's checkpoint list; returns that folder. Nothing is deleted: the files stay there to
    inspect or remove."""
    folder = os.path.join(train_dir, "damaged")
    tf.io.gfile.makedirs(folder)
    for prefix in damaged:
        for path in tf.io.gfile.glob(prefix + ".*"):
            tf.io.gfile.rename(path, os.path.join(folder, os.path.basename(path)), overwrite=True)
    state = tf.train.get_checkpoint_state(train_dir)  # its paths joined to train_dir
    if state is not None:
        listed, stamps = list(state.all_model_checkpoint_paths), list(state.all_model_checkpoint_timestamps)
        kept = [i for i, path in enumerate(listed) if path not in damaged]
        del state.all_model_checkpoint_paths[:], state.all_model_checkpoint_timestamps[:]
        # Written back as names inside train_dir, as CheckpointManager writes them: joined paths would be
        # joined again on reading when train_dir is relative.
        state.all_model_checkpoint_paths.extend(os.path.basename(listed[i]) for i in kept)
        state.all_model_checkpoint_timestamps.extend(stamps[i] for i in kept if len(stamps) == len(listed))
        state.model_checkpoint_path = os.path.basename(listed[kept[-1]]) if kept else ""
        converted.write_text(os.path.join(train_dir, "checkpoint"), text_format.MessageToString(state))
    return folder
