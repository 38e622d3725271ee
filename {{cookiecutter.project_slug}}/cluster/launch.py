"""Runs an entry point as a cluster's worker: what the cluster says, turned into TF_CONFIG and flags.

    python -m cluster.launch train.py --dataset_name=mnist --dataset_dir=/data/mnist ...
    python -m cluster.launch export.py --checkpoint_path=... (Vertex AI: --output_dir from AIP_MODEL_DIR)

The manifests in ``cluster/k8s/`` start every container this way; the entry
point then runs as it would anywhere (the process is replaced by it, so
SIGTERM reaches it directly).

Kubernetes, plain (``k8s/indexed-job.yaml``): an Indexed Job gives each pod
its completion index in ``JOB_COMPLETION_INDEX``; the manifest adds

* ``SLIM_NUM_WORKERS``: how many workers the job has (its ``completions``);
* ``SLIM_WORKER_ADDRESS``: a worker's ``host:port`` with ``{index}`` in it,
  e.g. ``lenet-0.lenet-workers:2222`` from ``lenet-{index}.lenet-workers:2222``
  (pod ``<job>-<index>`` under a headless Service);

and ``TF_CONFIG`` is made from them. (``SLIM_WORKER_INDEX`` stands in for
``JOB_COMPLETION_INDEX`` elsewhere.) Set all of them or none: half a setting
is refused with a message. Kubeflow Trainer's TrainJob (``k8s/trainjob.yaml``)
runs the same way (pods ``<trainjob>-node-0-<index>``). Vertex AI sets
``TF_CONFIG`` itself, and a ``TF_CONFIG`` already set is left alone.

Vertex AI also names folders, used as flag defaults when set:
``AIP_CHECKPOINT_DIR`` (train.py's --train_dir), ``AIP_TENSORBOARD_LOG_DIR``
(its --summary_dir) and ``AIP_MODEL_DIR`` (export.py's --output_dir).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INDEX_NAMES = ("JOB_COMPLETION_INDEX", "SLIM_WORKER_INDEX")
NUM_WORKERS = "SLIM_NUM_WORKERS"
ADDRESS = "SLIM_WORKER_ADDRESS"
PLACEHOLDER = "{index}"  # in ADDRESS, replaced by each worker's index
# Vertex AI's folders, as defaults of the entry points' flags.
VERTEX_FLAGS = {
    "train.py": {"--train_dir": "AIP_CHECKPOINT_DIR", "--summary_dir": "AIP_TENSORBOARD_LOG_DIR"},
    "export.py": {"--output_dir": "AIP_MODEL_DIR"},
}


class ClusterError(Exception):
    """The cluster's description cannot be used; the message says why."""


def tf_config(environ: Mapping[str, str] = os.environ) -> str | None:
    """The ``TF_CONFIG`` these variables describe, or None when they describe none (or it is set).

    Raises:
      ClusterError: only some of them are set, or their values do not fit together.
    """
    if environ.get("TF_CONFIG"):
        return None
    index_name = next((name for name in INDEX_NAMES if environ.get(name) is not None), None)
    given = {NUM_WORKERS: environ.get(NUM_WORKERS), ADDRESS: environ.get(ADDRESS)}
    if index_name is None and not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value] + ([] if index_name else [INDEX_NAMES[0]])
    if missing:
        raise ClusterError(
            f"the cluster is half described: {', '.join(missing)} not set (a worker needs {NUM_WORKERS}, "
            f"{ADDRESS} and its index in {INDEX_NAMES[0]} or {INDEX_NAMES[1]}; see cluster/k8s/)."
        )
    try:
        index, count = int(environ[index_name]), int(given[NUM_WORKERS])
    except ValueError as e:
        raise ClusterError(f"{index_name} and {NUM_WORKERS} must be whole numbers ({e})") from e
    if not 0 <= index < count:
        raise ClusterError(f"{index_name}={index} is not among the {count} workers of {NUM_WORKERS}")
    if PLACEHOLDER not in given[ADDRESS]:
        raise ClusterError(
            f"{ADDRESS}={given[ADDRESS]!r} must contain {PLACEHOLDER}, e.g. job-{PLACEHOLDER}.svc:2222"
        )
    workers = [given[ADDRESS].replace(PLACEHOLDER, str(i)) for i in range(count)]
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


def command(entry_point: str, args: list[str], environ: Mapping[str, str] = os.environ) -> list[str]:
    """The entry point's command line: ``args`` plus the flags Vertex AI's folders give, where not given."""
    given = {arg.split("=", 1)[0] for arg in args if arg.startswith("--")}
    defaults = VERTEX_FLAGS.get(os.path.basename(entry_point), {})
    extra = [
        f"{flag}={environ[name]}"
        for flag, name in defaults.items()
        if environ.get(name) and flag not in given
    ]
    return [os.path.join(PROJECT, entry_point), *args, *extra]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or not argv[0].endswith(".py"):
        print(__doc__, file=sys.stderr)
        return 2
    environ = dict(os.environ)
    try:
        derived = tf_config(environ)
    except ClusterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if derived:
        environ["TF_CONFIG"] = derived
    line = command(argv[0], argv[1:], environ)
    os.execve(sys.executable, [sys.executable, *line], environ)  # the entry point takes this process over
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
