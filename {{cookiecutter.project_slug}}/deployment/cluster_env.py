"""What a cluster tells a worker, read from the environment.

Kubernetes, plain (``k8s/indexed-job.yaml``): an Indexed Job gives each pod
its completion index in ``JOB_COMPLETION_INDEX``; the manifest adds

* ``SLIM_NUM_WORKERS``: how many workers the job has (its ``completions``);
* ``SLIM_WORKER_ADDRESS``: a worker's ``host:port`` with ``{index}`` in it,
  e.g. ``lenet-0.lenet-workers:2222`` from ``lenet-{index}.lenet-workers:2222``
  (pod ``<job>-<index>`` under a headless Service);

and ``TF_CONFIG`` is made from them. (``SLIM_WORKER_INDEX`` stands in for
``JOB_COMPLETION_INDEX`` elsewhere.) Set all of them or none: half a setting
is refused with a message. Kubeflow's TFJob and Vertex AI set ``TF_CONFIG``
themselves, and a ``TF_CONFIG`` already set is left alone.

Vertex AI also names folders, used as defaults when set:
``AIP_CHECKPOINT_DIR`` (train.py's --train_dir), ``AIP_TENSORBOARD_LOG_DIR``
(where train.py writes summaries) and ``AIP_MODEL_DIR`` (export.py's
--output_dir).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from errors import UserError

INDEX_NAMES = ("JOB_COMPLETION_INDEX", "SLIM_WORKER_INDEX")
NUM_WORKERS = "SLIM_NUM_WORKERS"
ADDRESS = "SLIM_WORKER_ADDRESS"
PLACEHOLDER = "{index}"  # in ADDRESS, replaced by each worker's index
CHECKPOINT_DIR, TENSORBOARD_DIR, MODEL_DIR = "AIP_CHECKPOINT_DIR", "AIP_TENSORBOARD_LOG_DIR", "AIP_MODEL_DIR"


def tf_config(environ: Mapping[str, str] = os.environ) -> str | None:
    """The ``TF_CONFIG`` these variables describe, or None when they describe none (or it is set).

    Raises:
      UserError: only some of them are set, or their values do not fit together.
    """
    if environ.get("TF_CONFIG"):
        return None
    index_name = next((name for name in INDEX_NAMES if environ.get(name) is not None), None)
    given = {NUM_WORKERS: environ.get(NUM_WORKERS), ADDRESS: environ.get(ADDRESS)}
    if index_name is None and not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value] + ([] if index_name else [INDEX_NAMES[0]])
    if missing:
        raise UserError(
            f"the cluster is half described: {', '.join(missing)} not set (a worker needs {NUM_WORKERS}, "
            f"{ADDRESS} and its index in {INDEX_NAMES[0]} or {INDEX_NAMES[1]}; see deployment/k8s/)."
        )
    try:
        index, count = int(environ[index_name]), int(given[NUM_WORKERS])
    except ValueError as e:
        raise UserError(f"{index_name} and {NUM_WORKERS} must be whole numbers ({e})") from e
    if not 0 <= index < count:
        raise UserError(f"{index_name}={index} is not among the {count} workers of {NUM_WORKERS}")
    if PLACEHOLDER not in given[ADDRESS]:
        raise UserError(
            f"{ADDRESS}={given[ADDRESS]!r} must contain "
            + PLACEHOLDER
            + ", e.g. job-"
            + PLACEHOLDER
            + ".svc:2222"
        )
    workers = [given[ADDRESS].replace(PLACEHOLDER, str(i)) for i in range(count)]
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


def apply(environ=os.environ) -> None:
    """Sets ``TF_CONFIG`` from the cluster's variables when they describe one (see ``tf_config``)."""
    derived = tf_config(environ)
    if derived:
        environ["TF_CONFIG"] = derived


def default(name: str, fallback: str | None = None, environ: Mapping[str, str] = os.environ) -> str | None:
    """A folder Vertex AI names (``AIP_*``), or ``fallback`` when it names none."""
    return environ.get(name) or fallback
