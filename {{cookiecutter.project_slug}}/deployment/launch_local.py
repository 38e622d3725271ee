"""Starts N training workers on this machine, to try multi-worker training.

    python -m deployment.launch_local --num_workers=2 -- --dataset_name=mnist --dataset_dir=/tmp/mnist \\
        --model_name=lenet --train_dir=checkpoints/lenet_2w --max_number_of_steps=1000

Each worker is ``python train.py <flags>`` with its own ``TF_CONFIG`` naming
every worker at 127.0.0.1 on a free port; on real machines, set TF_CONFIG per
host instead (see the README). Output lines carry a ``[worker i]`` prefix. If a
worker fails, the others are stopped: a multi-worker job runs as a whole, and
running it again resumes from the last checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(addresses: list[str], index: int) -> str:
    """TensorFlow's TF_CONFIG for worker ``index`` of a cluster of workers."""
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})


def start_workers(train_flags: list[str], num_workers: int, **popen_kwargs) -> list[subprocess.Popen]:
    """Starts the workers of one job; returns their processes."""
    addresses = [f"127.0.0.1:{port}" for port in free_ports(num_workers)]
    workers = []
    for index in range(num_workers):
        env = {**os.environ, "TF_CONFIG": tf_config(addresses, index)}
        workers.append(
            subprocess.Popen(
                [sys.executable, os.path.join(PROJECT, "train.py"), *train_flags],
                cwd=PROJECT,
                env=env,
                **popen_kwargs,
            )
        )
    return workers


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--num_workers", type=int, default=2)
    p.add_argument("train_flags", nargs=argparse.REMAINDER, help="train.py's flags, after --")
    args = p.parse_args(argv)
    flags = args.train_flags[1:] if args.train_flags[:1] == ["--"] else args.train_flags
    workers = start_workers(
        flags, args.num_workers, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )

    def relay(index: int, worker: subprocess.Popen) -> None:
        for line in worker.stdout:
            print(f"[worker {index}] {line}", end="", flush=True)

    threads = [threading.Thread(target=relay, args=item, daemon=True) for item in enumerate(workers)]
    for thread in threads:
        thread.start()
    code = 0
    try:
        for worker in workers:
            code = code or worker.wait()
            if code:
                break  # one worker failed: the job cannot go on without it
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            worker.wait()
        for thread in threads:
            thread.join(timeout=5)
    return code


if __name__ == "__main__":
    sys.exit(main())
