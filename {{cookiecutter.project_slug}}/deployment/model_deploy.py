"""Where training runs: one device, several devices, several machines, or a TPU.

TF-Slim's model_deploy.py cloned the graph per device and placed variables on
parameter servers by hand; in TF2 this is a ``tf.distribute`` strategy:

* one device: TensorFlow's default strategy (no overhead);
* ``--num_clones=N``: MirroredStrategy over N GPUs, or N logical CPU devices
  with ``--clone_on_cpu`` (for trying it without GPUs);
* a ``TF_CONFIG`` naming several workers: MultiWorkerMirroredStrategy, each
  worker using its local GPUs (or its CPU);
* ``--tpu=NAME`` (or ``local``): TPUStrategy.

Build the model and optimizer inside ``strategy.scope()``. ``--batch_size``
is per replica; the global batch is ``batch_size * num_replicas_in_sync``.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import shutil
import tempfile

import tensorflow as tf

from deployment.run_config import DeploymentConfig
from errors import UserError, cause


class DeploymentError(UserError):
    """The requested placement cannot be made here; the message says why."""


def cluster_from_env() -> dict | None:
    """The cluster described by ``TF_CONFIG``, or None when it names at most one task.

    Raises:
      DeploymentError: ``TF_CONFIG`` is not JSON of TensorFlow's form.
    """
    text = os.environ.get("TF_CONFIG")
    if not text:
        return None
    try:
        tf_config = json.loads(text)
        cluster, task = tf_config["cluster"], tf_config["task"]
        task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as e:
        example = {
            "cluster": {"worker": ["host1:port", "host2:port"]},
            "task": {"type": "worker", "index": 0},
        }
        raise DeploymentError(f"TF_CONFIG must be JSON like {json.dumps(example)}; got {text!r} ({e})") from e
    tasks = sum(len(addresses) for kind, addresses in cluster.items() if kind in ("chief", "worker"))
    return tf_config if tasks > 1 else None


def placement(strategy: tf.distribute.Strategy) -> str:
    """The training log's first line: the devices TensorFlow sees (a GPU missing here is an install
    problem: see the README) and how many replicas train."""
    seen = ", ".join(device.name.split("device:")[-1] for device in tf.config.list_logical_devices())
    return f"Devices: {seen}; training on {strategy.num_replicas_in_sync} replica(s)"


def create_strategy(config: DeploymentConfig) -> tf.distribute.Strategy:
    """Returns the strategy for ``config`` and ``TF_CONFIG``.

    Raises:
      DeploymentError: there are fewer GPUs than clones, the CPU can no longer
        be split because TensorFlow has already started, or TF_CONFIG is bad.
    """
    if config.num_clones < 1:
        raise DeploymentError(f"--num_clones must be at least 1, got {config.num_clones}")
    if config.tpu:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=config.tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    if cluster_from_env():
        if config.num_clones > 1:
            raise DeploymentError(
                "--num_clones does not apply with a multi-worker TF_CONFIG: each worker uses all its "
                "local GPUs (or its CPU)."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    if config.num_clones == 1:
        return tf.distribute.get_strategy()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus and not config.clone_on_cpu:
        raise DeploymentError(
            f"--num_clones={config.num_clones} needs {config.num_clones} GPUs and this machine has none; "
            "pass --clone_on_cpu to try it on CPU devices."
        )
    if gpus and not config.clone_on_cpu:
        if len(gpus) < config.num_clones:
            raise DeploymentError(
                f"--num_clones={config.num_clones} but only {len(gpus)} GPU(s) are visible; "
                "lower --num_clones or pass --clone_on_cpu."
            )
        devices = [f"/gpu:{i}" for i in range(config.num_clones)]
    else:
        _split_cpu(config.num_clones)
        devices = [f"/cpu:{i}" for i in range(config.num_clones)]
    return tf.distribute.MirroredStrategy(devices)


# oneDNN's instruction-set levels (ONEDNN_MAX_CPU_ISA) without AVX-512, where it has no bfloat16 kernels.
_ISAS_WITHOUT_BFLOAT16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI")
_AVX512_CORE = ("avx512f", "avx512bw", "avx512vl", "avx512dq")


def bfloat16_unsupported_reason(
    environ=os.environ, cpuinfo: str = "/proc/cpuinfo", has_gpu: bool | None = None
) -> str | None:
    """Why bfloat16 cannot run here, or None when it can.

    A GPU runs it. On x86 CPUs, TensorFlow sends bfloat16 matmuls and
    convolutions to oneDNN, which has kernels for them from AVX-512 on (fast
    with AVX512_BF16 or AMX); below that, or with ONEDNN_MAX_CPU_ISA capping
    oneDNN below it, the first bfloat16 matmul crashes the process instead of
    failing. Elsewhere (ARM, no /proc/cpuinfo) nothing is known to refuse.
    """
    if has_gpu if has_gpu is not None else tf.config.list_physical_devices("GPU"):
        return None
    cap = environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    if cap in _ISAS_WITHOUT_BFLOAT16:
        return f"ONEDNN_MAX_CPU_ISA={cap} limits oneDNN to kernels without bfloat16"
    try:
        with open(cpuinfo) as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), None)
    except OSError:
        return None
    if flags is None or not {"avx", "sse2"} & set(flags):
        return None  # not an x86 CPU: no oneDNN bfloat16 rule known
    if not set(_AVX512_CORE) <= set(flags):
        return "this CPU has no AVX-512, and oneDNN's bfloat16 kernels need it"
    return None


def check_mixed_precision(kind: str | None) -> None:
    """Refuses bfloat16 where it would crash, before anything runs in it.

    Raises:
      DeploymentError: bfloat16 on a CPU without the instructions for it.
    """
    reason = bfloat16_unsupported_reason() if kind == "bfloat16" else None
    if reason:
        raise DeploymentError(
            f"--mixed_precision=bfloat16 cannot run here: {reason}. Train in float32 (leave "
            "--mixed_precision out); bfloat16 needs a GPU or an x86 CPU with AVX-512 (it is fast with "
            "AVX512_BF16 or AMX)."
        )


def _split_cpu(num_devices: int) -> None:
    """Makes the one physical CPU appear as ``num_devices`` logical devices."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices
        )
    except RuntimeError as e:
        # Listing logical devices starts the runtime, so look only now.
        if len(tf.config.list_logical_devices("CPU")) >= num_devices:
            return
        raise DeploymentError(
            f"cannot split the CPU into {num_devices} devices after TensorFlow has "
            "started; create the strategy before running any TensorFlow op."
        ) from e


def task(strategy: tf.distribute.Strategy) -> tuple[str, int]:
    """This process's ``(task type, index)`` in the cluster; ``("worker", 0)`` alone."""
    resolver = strategy.cluster_resolver
    if resolver is None or not resolver.cluster_spec().as_dict():
        return "worker", 0
    return resolver.task_type or "worker", int(resolver.task_id or 0)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """The one process that writes checkpoints and summaries into --train_dir.

    The ``chief`` task if the cluster has one, else worker 0 (as TensorFlow's
    own multi-worker tutorials do).
    """
    task_type, index = task(strategy)
    resolver = strategy.cluster_resolver
    has_chief = resolver is not None and "chief" in resolver.cluster_spec().as_dict()
    return task_type == "chief" or (task_type == "worker" and index == 0 and not has_chief)


class WriteDir:
    """Where this process writes checkpoints: --train_dir on the chief, a temporary folder elsewhere.

    Every worker must take part in saving (it is collective), but only the
    chief's copy is kept; the others' are removed by ``cleanup``. A worker
    killed before it could clean up (SIGKILL, out of memory) leaves its copy,
    as large as a checkpoint; the next worker started on that host removes it.
    """

    def __init__(self, train_dir: str, strategy: tf.distribute.Strategy):
        self.chief = is_chief(strategy)
        task_type, index = task(strategy)
        if not self.chief:
            remove_orphaned_copies()
        self.path = (
            train_dir
            if self.chief
            else tempfile.mkdtemp(prefix=f"{_COPY_PREFIX}{task_type}{index}-pid{os.getpid()}-")
        )

    def cleanup(self) -> None:
        if not self.chief:
            shutil.rmtree(self.path, ignore_errors=True)


_COPY_PREFIX = "slim-template-copy-"


def remove_orphaned_copies() -> list[str]:
    """Removes the checkpoint copies of non-chief workers on this host whose process is gone."""
    removed = []
    for path in glob.glob(os.path.join(tempfile.gettempdir(), _COPY_PREFIX + "*-pid*-*")):
        try:
            pid = int(os.path.basename(path).split("-pid")[-1].split("-")[0])
            os.kill(pid, 0)  # raises ProcessLookupError when no such process exists
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        except (ValueError, PermissionError):  # not our name, or another user's live process
            continue
    return removed


def make_train_dir(train_dir: str) -> None:
    """Creates --train_dir, or says why it cannot be one (a file, not writable)."""
    if tf.io.gfile.exists(train_dir) and not tf.io.gfile.isdir(train_dir):
        raise DeploymentError(f"--train_dir={train_dir} is a file, not a folder; pass a folder.")
    try:
        tf.io.gfile.makedirs(train_dir)
    except tf.errors.OpError as e:
        raise DeploymentError(f"cannot create --train_dir={train_dir}: {cause(e)}") from e


def all_agree(strategy: tf.distribute.Strategy, *decisions: bool) -> tuple[bool, ...]:
    """Each decision true on every worker if it is true on any: saving and stopping are collective."""
    if cluster_from_env() is None:
        return decisions
    votes = _votes(strategy)(tf.constant([float(d) for d in decisions])).numpy()
    return tuple(bool(v > 0) for v in votes)


@functools.cache
def _votes(strategy: tf.distribute.Strategy):
    @tf.function
    def count(vote):
        return strategy.reduce("SUM", strategy.run(lambda v: v, args=(vote,)), axis=None)

    return count
