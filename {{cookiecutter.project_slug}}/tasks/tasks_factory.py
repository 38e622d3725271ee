"""Maps task names to their classes: every module in ``tasks/`` that holds ``TASK``."""

from __future__ import annotations

import functools

import tasks
from errors import UserError
from registry import discover
from tasks.task import Task


@functools.cache
def tasks_map() -> dict[str, type[Task]]:
    """Task name -> its ``Task`` subclass, one per module of this package that defines ``TASK``."""
    return {module.TASK.name: module.TASK for module in discover(tasks, "TASK")}


def get_task(name: str) -> type[Task]:
    """Returns the class of task ``name``.

    Raises:
      UserError: ``name`` is unknown; the message lists the known tasks.
    """
    if name not in tasks_map():
        raise UserError(
            f"unknown task {name!r}; this project has: {', '.join(sorted(tasks_map()))}. (Data or a "
            "checkpoint made by a project with more parts needs that project, or the task's module.)"
        )
    return tasks_map()[name]
