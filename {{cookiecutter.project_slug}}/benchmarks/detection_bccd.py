"""Detection on real data: the small SSD from scratch on BCCD (blood cells, Pascal VOC layout).

    python benchmarks/detection_bccd.py --voc_dir=../shared/data/bccd [--minutes=30] [--model_name=ssd_small]

Converts the VOC folder, trains on ``trainval`` (train + val) with validation
on ``test`` every --eval_every_n_steps steps, stops at --max_number_of_steps
or after --minutes (SIGTERM: train.py saves and stops), then prints, as JSON:
the final and best mAP@0.5 (VOC07) with per-class AP and COCO AP, the curve of
mAP against minutes, training images/s of train.py against a minimal loop on
the same net and input, the input pipeline alone against training, SavedModel
latency per image with NMS inside at batch 1 and 8, and the time of the mAP
computation against pycocotools' on the same detections.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PROJECT)

import cli  # noqa: E402, F401  (TensorFlow imports quietly when first used)

import minimal_loop  # noqa: E402  (beside this script)
import tensorflow as tf  # noqa: E402

from datasets import dataset_factory, input_pipeline  # noqa: E402
from deployment import assembly, checkpointing  # noqa: E402
from metrics import detection_ap  # noqa: E402
from training import evaluation  # noqa: E402


def run(*args: str, timeout: float | None = None) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=PROJECT, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode:
        raise RuntimeError(result.stdout[-2000:] + result.stderr[-3000:])
    return result.stdout


def train_with_curve(flags: list[str], minutes: float) -> tuple[list[dict], list[float]]:
    """Runs train.py; returns the validation curve (minutes, step, mAP) and the examples/s it printed."""
    process = subprocess.Popen(
        [sys.executable, "train.py", *flags], cwd=PROJECT, stdout=subprocess.PIPE, text=True
    )
    start, curve, rates = time.monotonic(), [], []
    try:
        for line in process.stdout:
            print(line, end="", flush=True)
            elapsed = (time.monotonic() - start) / 60
            if found := re.search(r"validation at step (\d+): mAP = ([\d.]+)", line):
                curve.append({"minutes": round(elapsed, 2), "step": int(found[1]), "mAP": float(found[2])})
            if found := re.search(r"\(([\d.]+) examples/s\)", line):
                rates.append(float(found[1]))
            if elapsed > minutes and process.poll() is None:
                process.send_signal(signal.SIGTERM)  # train.py saves and stops
    finally:
        process.wait()
    return curve, rates[1:]  # the first includes tracing


def minimal_loop_rate(config, split, batch: int, steps: int = 40, chunks: int = 3) -> float:
    """Images/s of a bare tf.function loop: the same net, input, loss and optimizer, nothing else."""
    net = assembly.build_net(config)
    dataset = _train_dataset(config, split, batch)
    task = assembly.task(config)

    def loss(targets, outputs):
        return tf.reduce_mean(task.loss(targets=targets, outputs=outputs, training=True))

    optimizer = tf.keras.optimizers.Adam(1e-3)
    return minimal_loop.images_per_second(net, iter(dataset), loss, optimizer, batch, steps, chunks)


def _train_dataset(config, split, batch: int):
    task, preprocess = assembly.task(config), assembly.preprocessing(config, is_training=True)
    return input_pipeline.train_dataset(
        split,
        lambda image, label, seed: task.train_example(
            image=image, label=label, preprocess=preprocess, seed=seed
        ),
        batch,
    )


def input_rate(config, split, batch: int, batches: int = 60) -> float:
    iterator = iter(_train_dataset(config, split, batch))
    for _ in range(5):
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch / (time.perf_counter() - start)


def saved_model_latency(export_dir: str, jpegs: list[bytes], repeats: int = 20) -> dict:
    serve = tf.saved_model.load(export_dir).signatures["serving_default"]
    latency = {}
    for batch in (1, 8):
        images = tf.constant((jpegs * 8)[:batch])
        serve(images=images)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            serve(images=images)["num_detections"].numpy()
            times.append(time.perf_counter() - start)
        latency[f"batch_{batch}_ms_per_image"] = round(1000 * statistics.median(times) / batch, 2)
    return latency


def map_timing(config, checkpoint: str, split) -> dict:
    """Seconds of our VOC mAP against pycocotools' COCO evaluation, on the same detections."""
    net = assembly.build_net(config)
    checkpointing.restore(checkpointing.weights_checkpoint(net, config), checkpoint, config, partial=True)
    metrics = assembly.task(config).metrics()
    evaluator = evaluation.Evaluator(config, net, split, 8)
    for inputs, labels in evaluator.dataset:
        outputs, _ = net(inputs, training=False)
        metrics.update({k: v.numpy() for k, v in metrics.batch(labels, outputs).items()})
    names = dict(config.labels_to_names)
    start = time.perf_counter()
    for class_id in names:
        precision, recall, _ = detection_ap.precision_recall(metrics.results, class_id)
        detection_ap.voc07_ap(precision, recall)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    detection_ap.coco_ap(metrics.results, sorted(names))
    coco = time.perf_counter() - start
    detections = sum(len(r.scores) for r in metrics.results)
    return {
        "voc_map_seconds": round(ours, 3),
        "pycocotools_seconds": round(coco, 3),
        "detections": detections,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--voc_dir", required=True)
    p.add_argument("--model_name", default="ssd_small")
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--max_number_of_steps", type=int, default=100_000)
    p.add_argument("--eval_every_n_steps", type=int, default=500)
    p.add_argument("--batch_size", type=int, default=16)
    p.add_argument("--workdir", default=None)
    p.add_argument("extra", nargs="*", help="More train.py flags, after --.")
    args = p.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="bccd_")
    data, train_dir = os.path.join(work, "data"), os.path.join(work, args.model_name)
    run(
        "download_and_convert_data.py",
        "--dataset_name=bccd",
        f"--source_dir={args.voc_dir}",
        f"--dataset_dir={data}",
    )
    flags = [
        "--dataset_name=bccd", f"--dataset_dir={data}", "--dataset_split_name=trainval",
        f"--model_name={args.model_name}", f"--train_dir={train_dir}", f"--batch_size={args.batch_size}",
        f"--max_number_of_steps={args.max_number_of_steps}",
        f"--eval_every_n_steps={args.eval_every_n_steps}", "--validation_split_name=test",
        "--keep_best_by=mAP", "--log_every_n_steps=50", *args.extra,
    ]  # fmt: skip
    curve, rates = train_with_curve(flags, args.minutes)
    final = json.loads(
        run("eval.py", f"--checkpoint_path={train_dir}", "--dataset_split_name=test").splitlines()[-1]
    )
    best = json.loads(
        run("eval.py", f"--checkpoint_path={train_dir}/best", "--dataset_split_name=test").splitlines()[-1]
    )

    path = checkpointing.resolve_checkpoint(train_dir)
    config = checkpointing.read_config(path)
    split = dataset_factory.get_dataset("bccd", "trainval", data)
    minimal = minimal_loop_rate(config, split, args.batch_size)
    pipeline = input_rate(config, split, args.batch_size)
    export_dir = os.path.join(work, "exported", "1")  # version 1, replaced on a rerun
    run("export.py", f"--checkpoint_path={train_dir}/best", f"--output_dir={os.path.dirname(export_dir)}",
        "--model_version=1", "--overwrite")  # fmt: skip
    jpegs = [
        open(os.path.join(args.voc_dir, "JPEGImages", n), "rb").read()
        for n in sorted(os.listdir(os.path.join(args.voc_dir, "JPEGImages")))[:8]
    ]
    summary = {
        "model": args.model_name,
        "steps": final["step"],
        "final_mAP_voc07": round(final["mAP"], 4),
        "best_mAP_voc07": round(best["mAP"], 4),
        "best_step": best["step"],
        "best_per_class_AP": {
            k: round(v["AP"], 4) for k, v in best["per_class"].items() if v["AP"] is not None
        },
        "best_mAP_voc12": round(best["mAP_voc12"], 4),
        "best_coco_AP": round(best["coco_AP"], 4),
        "best_coco_AP50": round(best["coco_AP50"], 4),
        "curve": curve,
        "train_py_images_per_sec": round(statistics.median(rates), 1) if rates else None,
        "minimal_loop_images_per_sec": round(minimal, 1),
        "ratio_train_py_vs_minimal": round(statistics.median(rates) / minimal, 3) if rates else None,
        "input_pipeline_images_per_sec": round(pipeline, 1),
        "ratio_input_vs_train": round(pipeline / statistics.median(rates), 2) if rates else None,
        "saved_model_latency": saved_model_latency(export_dir, jpegs),
        "map_timing": map_timing(config, path, dataset_factory.get_dataset("bccd", "test", data)),
        "workdir": work,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
