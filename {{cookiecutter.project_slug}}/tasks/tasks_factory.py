"""Maps task names to their records (``TaskSpec``), built from explicit imports."""

from __future__ import annotations

from errors import UserError
from tasks import classification, detection, regression
from tasks.task_spec import TaskSpec

tasks_map: dict[str, TaskSpec] = {
    classification.NAME: classification.TASK,
    detection.NAME: detection.TASK,
    regression.NAME: regression.TASK,
}


def get_task(name: str) -> TaskSpec:
    """Returns the record of task ``name``.

    Raises:
      UserError: ``name`` is unknown; the message lists the known tasks.
    """
    if name not in tasks_map:
        raise UserError(f"unknown task {name!r}; known tasks: {', '.join(sorted(tasks_map))}.")
    return tasks_map[name]
