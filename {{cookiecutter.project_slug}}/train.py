"""Trains a net on a dataset split: TF-Slim's train_image_classifier.py in TF2.

    python train.py --dataset_name=mnist --dataset_dir=/tmp/mnist --model_name=lenet \
        --train_dir=checkpoints/lenet --max_number_of_steps=1000

Training resumes by itself from the latest checkpoint in --train_dir: the step,
the optimizer state and the input position carry on, so running again with a
larger --max_number_of_steps continues where the last run stopped. Ctrl-C
saves a checkpoint before it exits.

On several machines, run the same command on each with its TF_CONFIG (see the
README, or ``python -m deployment.launch_local`` for local workers); only the
chief writes into --train_dir, and a restarted job resumes from its last
checkpoint.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time

from deployment.tf_startup import import_tensorflow

tf = import_tensorflow()

from datasets import dataset_factory, dataset_utils, input_pipeline  # noqa: E402
from deployment import checkpointing, model_deploy  # noqa: E402
from nets import nets_factory  # noqa: E402
from preprocessing import preprocessing_factory  # noqa: E402
from training import fine_tuning, optimization  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--train_dir",
        default=None,
        help="Where checkpoints and summaries go (default: checkpoints/<dataset_name>_<model_name>).",
    )
    # Data.
    p.add_argument(
        "--dataset_name",
        default="mnist",
        help=f"{', '.join(sorted(dataset_factory.datasets_map))}, or the name of images converted "
        "into --dataset_dir by download_and_convert_data.py.",
    )
    p.add_argument("--dataset_split_name", default="train")
    p.add_argument("--dataset_dir", default=None, help="The converted dataset.")
    p.add_argument(
        "--preprocessing_name",
        default=None,
        choices=sorted(preprocessing_factory.preprocessing_fn_map),
        help="Default: the net's own.",
    )
    p.add_argument("--train_image_size", type=int, default=None, help="Default: the net's own.")
    p.add_argument(
        "--batch_size",
        type=int,
        default=32,
        help="Examples per step on each replica (device); the global batch is this times the number "
        "of replicas, and --learning_rate applies to the global batch's mean loss.",
    )
    p.add_argument("--seed", type=int, default=0, help="Seeds the initial weights, dropout and input order.")
    # Net.
    p.add_argument("--model_name", default="lenet", choices=sorted(nets_factory.networks_map))
    p.add_argument(
        "--weight_decay",
        type=float,
        default=0.00004,
        help="L2 coefficient: adds weight_decay * sum(w**2) / 2, as TF-Slim.",
    )
    p.add_argument(
        "--mixed_precision",
        default=None,
        choices=("bfloat16", "float16"),
        help="Compute in bfloat16 (CPUs with bf16 instructions, GPUs) or float16 (GPUs); "
        "weights, logits and loss stay float32.",
    )
    p.add_argument(
        "--pretrained",
        default=None,
        choices=("imagenet",),
        help="keras.applications nets: start from ImageNet weights (downloads them; needs 3-channel images).",
    )
    # Fine-tuning (used only while --train_dir holds no checkpoint, as in TF-Slim).
    p.add_argument("--checkpoint_path", default=None, help="Start from this checkpoint (file or directory).")
    p.add_argument(
        "--checkpoint_exclude_scopes",
        default=None,
        help="Comma-separated variable scopes not to take from it, e.g. Logits.",
    )
    p.add_argument("--trainable_scopes", default=None, help="Comma-separated scopes to train (default: all).")
    p.add_argument(
        "--ignore_missing_vars",
        action="store_true",
        help="Start variables the checkpoint lacks from scratch.",
    )
    # Optimization.
    optimization.add_flags(p)
    p.add_argument(
        "--max_number_of_steps",
        type=int,
        default=None,
        help="Stop at this global step (default: train until interrupted).",
    )
    # Devices.
    p.add_argument("--num_clones", type=int, default=1, help="Model copies, one per device.")
    p.add_argument("--clone_on_cpu", action="store_true", help="Put the clones on CPU devices.")
    p.add_argument("--tpu", default=None, help="Train on this TPU (name or address; 'local' on a TPU VM).")
    # Logging and checkpoints.
    p.add_argument("--log_every_n_steps", type=int, default=10)
    p.add_argument("--save_interval_secs", type=float, default=600)
    p.add_argument("--keep_checkpoint_max", type=int, default=5)
    args = p.parse_args(argv)
    if args.train_dir is None:
        args.train_dir = os.path.join("checkpoints", f"{args.dataset_name}_{args.model_name}")
    return args


def task_loss(task: str, labels: tf.Tensor, outputs: tf.Tensor, label_smoothing: float = 0.0) -> tf.Tensor:
    """Per-example loss in float32: softmax cross-entropy (smoothed), or squared error for regression."""
    outputs = tf.cast(outputs, tf.float32)
    if task == dataset_utils.REGRESSION:
        return tf.reduce_mean(tf.square(outputs - labels), axis=-1)
    if label_smoothing:
        one_hot = tf.one_hot(labels, tf.shape(outputs)[-1])
        return tf.keras.losses.categorical_crossentropy(
            one_hot, outputs, from_logits=True, label_smoothing=label_smoothing
        )
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=outputs)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return train(args)
    except (dataset_utils.DatasetError, checkpointing.CheckpointError, model_deploy.DeploymentError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def train(args: argparse.Namespace) -> int:
    # --- Records: dataset split, net, preprocessing ------------------------------
    # Device placement first: splitting the CPU must happen before any TF op.
    strategy = model_deploy.create_strategy(
        model_deploy.DeploymentConfig(args.num_clones, args.clone_on_cpu, args.tpu)
    )
    tf.keras.utils.set_random_seed(args.seed)
    # Float32 unless asked: the policy is global, so set it either way.
    tf.keras.mixed_precision.set_global_policy(
        f"mixed_{args.mixed_precision}" if args.mixed_precision else "float32"
    )
    split = dataset_factory.get_dataset(args.dataset_name, args.dataset_split_name, args.dataset_dir)
    spec = nets_factory.get_net_spec(args.model_name)
    if spec.task != split.task:
        raise dataset_utils.DatasetError(
            f"net {args.model_name!r} does {spec.task} but dataset {args.dataset_name!r} "
            f"is {split.task}; pick a {split.task} net (known nets: "
            f"{', '.join(n for n, s in nets_factory.networks_map.items() if s.task == split.task)})."
        )
    config = {
        "model_name": args.model_name,
        "dataset_name": args.dataset_name,
        "dataset_dir": os.path.abspath(args.dataset_dir) if args.dataset_dir else None,
        "dataset_split_name": args.dataset_split_name,
        "task": split.task,
        "num_classes": split.num_classes,
        "labels_to_names": split.labels_to_names,
        "image_shape": list(split.image_shape),
        "image_size": args.train_image_size or spec.default_image_size,
        "preprocessing_name": args.preprocessing_name or spec.default_preprocessing,
        "optimizer": args.optimizer or spec.default_optimizer,
        "learning_rate": spec.default_learning_rate if args.learning_rate is None else args.learning_rate,
        "moving_average_decay": args.moving_average_decay,
        "flags": vars(args),
    }
    global_batch = args.batch_size * strategy.num_replicas_in_sync

    # --- Net, optimizer, checkpoint -----------------------------------------------
    steps_per_epoch = split.num_samples / global_batch
    with strategy.scope():
        net = checkpointing.build_net(config, args.weight_decay, weights=args.pretrained)
        scopes = fine_tuning.parse_scopes(args.trainable_scopes)
        train_vars = [v for v in net.trainable_variables if not scopes or fine_tuning.in_scopes(v, scopes)]
        if not train_vars:
            raise checkpointing.CheckpointError(
                f"--trainable_scopes={args.trainable_scopes} matches no variable; they are named like "
                f"{', '.join(fine_tuning.key(v) for v in net.trainable_variables[:4])}, ..."
            )
        learning_rate = optimization.learning_rate(args, config["learning_rate"], steps_per_epoch)
        optimizer = optimization.make_optimizer(config["optimizer"], learning_rate, args)
        if args.mixed_precision == "float16":
            optimizer = tf.keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(train_vars)
        # The moving average lives in a second copy of the net, saved as "ema_model".
        ema_net = checkpointing.build_net(config) if args.moving_average_decay else None
        step = tf.Variable(0, dtype=tf.int64, trainable=False)
        examples_seen = tf.Variable(0, dtype=tf.int64, trainable=False)
    config_var = tf.Variable(json.dumps(config), trainable=False)
    checkpoint = tf.train.Checkpoint(
        model=net, optimizer=optimizer, step=step, examples_seen=examples_seen, config=config_var,
        **({"ema_model": ema_net} if ema_net else {}),
    )  # fmt: skip
    # Every worker resumes from --train_dir and takes part in saving, but only
    # the chief's checkpoints land there; the others write to a temporary folder.
    write_dir = model_deploy.WriteDir(args.train_dir, strategy)
    manager = tf.train.CheckpointManager(checkpoint, write_dir.path, args.keep_checkpoint_max)
    latest = tf.train.latest_checkpoint(args.train_dir)
    if latest:
        _check_same_run(latest, config, args.train_dir)
        checkpointing.restore(checkpoint, latest, config, partial=False)
        config_var.assign(json.dumps(config))
        print(f"Resuming from {latest} at step {int(step.numpy())}")
    elif args.checkpoint_path:
        copied = fine_tuning.warm_start(
            net,
            args.checkpoint_path,
            fine_tuning.parse_scopes(args.checkpoint_exclude_scopes),
            args.ignore_missing_vars,
        )
        print(
            f"Fine-tuning from {args.checkpoint_path}: {copied} variables taken, the rest start from scratch"
        )
    if ema_net is not None and not latest:
        for average, weight in zip(ema_net.weights, net.weights, strict=True):
            average.assign(weight)
    if write_dir.chief:
        os.makedirs(args.train_dir, exist_ok=True)
        _write_json(os.path.join(args.train_dir, "train_config.json"), config)
    max_steps = args.max_number_of_steps or sys.maxsize
    if int(step.numpy()) >= max_steps:
        print(
            f"{args.train_dir} is already at step {int(step.numpy())} >= --max_number_of_steps={max_steps}."
        )
        write_dir.cleanup()
        return 0

    # --- Input pipeline -----------------------------------------------------------
    preprocess = preprocessing_factory.get_preprocessing(config["preprocessing_name"], is_training=True)
    size = config["image_size"]
    start_example = int(examples_seen.numpy())

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        # One pipeline per worker, each batching for its own replicas.
        return input_pipeline.train_dataset(
            split,
            functools.partial(preprocess, output_height=size, output_width=size),
            context.get_per_replica_batch_size(global_batch),
            seed=args.seed,
            start_example=start_example,
            num_workers=context.num_input_pipelines,
            worker_index=context.input_pipeline_id,
        )

    iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))

    # --- Train step: several steps per call keep Python out of the hot loop ----------
    def step_fn(images, labels):
        with tf.GradientTape() as tape:
            outputs, _ = net(images, training=True)
            loss = tf.nn.compute_average_loss(
                task_loss(split.task, labels, outputs, args.label_smoothing), global_batch_size=global_batch
            )
            if net.losses:
                loss += tf.nn.scale_regularization_loss(
                    tf.add_n([tf.cast(x, tf.float32) for x in net.losses])
                )
            scaled = optimizer.scale_loss(loss) if args.mixed_precision == "float16" else loss
        grads = tape.gradient(scaled, train_vars)
        optimizer.apply_gradients(zip(grads, train_vars, strict=True))
        return loss

    @tf.function
    def train_steps(iterator, num_steps):
        loss = tf.constant(0.0)
        for _ in tf.range(num_steps):
            loss = strategy.reduce("SUM", strategy.run(step_fn, args=next(iterator)), axis=None)
            step.assign_add(1)
            examples_seen.assign_add(global_batch)
            if ema_net is not None:
                decay = args.moving_average_decay
                for average, weight in zip(ema_net.weights, net.weights, strict=True):
                    average.assign(decay * average + (1.0 - decay) * weight)
        return loss

    # --- Loop: log, summarize, checkpoint -------------------------------------------
    writer = (
        tf.summary.create_file_writer(args.train_dir) if write_dir.chief else tf.summary.create_noop_writer()
    )
    last_save = time.monotonic()
    try:
        while int(step.numpy()) < max_steps:
            num_steps = min(args.log_every_n_steps, max_steps - int(step.numpy()))
            start = time.perf_counter()
            loss = float(train_steps(iterator, tf.constant(num_steps)))
            rate = num_steps * global_batch / (time.perf_counter() - start)
            if write_dir.chief:
                print(f"step {int(step.numpy())}: loss = {loss:.4f} ({rate:.0f} examples/s)", flush=True)
            with writer.as_default(step=int(step.numpy())):
                tf.summary.scalar("loss", loss)
                tf.summary.scalar("examples_per_sec", rate)
            if _all_agree(strategy, time.monotonic() - last_save >= args.save_interval_secs):
                manager.save(checkpoint_number=step)
                last_save = time.monotonic()
    except KeyboardInterrupt:
        # A step runs to its end before Python sees Ctrl-C, so the state is whole.
        print(f"Interrupted; saved {manager.save(checkpoint_number=step)}", file=sys.stderr)
        return 130
    writer.flush()
    saved = manager.save(checkpoint_number=step)
    write_dir.cleanup()
    if write_dir.chief:
        print(f"Saved {saved} at step {int(step.numpy())}")
    return 0


def _all_agree(strategy: tf.distribute.Strategy, decision: bool) -> bool:
    """True on every worker if it is true on any: saving is collective, so all must save together."""
    if model_deploy.cluster_from_env() is None:
        return decision
    return bool(_votes(strategy)(tf.constant(float(decision))).numpy() > 0)


@functools.cache
def _votes(strategy: tf.distribute.Strategy):
    @tf.function
    def count(vote):
        return strategy.reduce("SUM", strategy.run(lambda v: v, args=(vote,)), axis=None)

    return count


def _check_same_run(latest: str, config: dict, train_dir: str) -> None:
    """Refuses to resume a run of another net or dataset in the same --train_dir."""
    saved = checkpointing.read_config(latest)
    for key in ("model_name", "dataset_name", "num_classes"):
        if saved[key] != config[key]:
            raise checkpointing.CheckpointError(
                f"{train_dir} holds a run with {key}={saved[key]!r}, not {config[key]!r}; "
                "use another --train_dir (or remove that one) to start a new run."
            )


def _write_json(path: str, data: dict) -> None:
    tmp = path + ".incomplete"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
