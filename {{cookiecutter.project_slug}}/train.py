"""Trains a net on a dataset split: TF-Slim's train_image_classifier.py in TF2.

    python train.py --dataset_name=mnist --dataset_dir=/tmp/mnist --model_name=lenet \
        --train_dir=checkpoints/lenet --max_number_of_steps=1000

Training resumes by itself from the latest checkpoint in --train_dir: the step,
the optimizer state, the input position and every random state carry on, so
running again with a larger --max_number_of_steps continues where the last
run stopped, exactly as if it had never stopped. On resume, the net, the
dataset and its classes, the image size, preprocessing, optimizer, mixed
precision, trainable scopes, moving average (on or off) and seed are fixed
for the run (another value is refused, with how to start a new run from the
checkpoint instead); the optimizer's settings, the learning-rate schedule,
weight and batch-norm decay, the task's settings, the batch size, the
dataset's folder and the loop's flags may change, and the new values are
applied and recorded.

SIGTERM (a cluster's eviction, ``timeout``) and Ctrl-C save a checkpoint and
exit (143 and 130). A non-finite loss stops training without saving it. One
trainer at a time holds --train_dir (``.train.lock``).

On several machines, run the same command on each with its TF_CONFIG (see the
README, or ``python -m deployment.launch_local`` for local workers); only the
chief writes into --train_dir, and a restarted job resumes from its last
checkpoint.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from cli import progress, runner, train_flags

import tensorflow as tf

from datasets import converted, dataset_factory, input_pipeline
from deployment import checkpointing, model_deploy, run_config
from errors import UserError
from training import fine_tuning, optimization, signals, summaries, train_dir, validation


def main(argv: list[str] | None = None) -> int:
    return runner.run(train, train_flags.parse(__doc__, argv))


def train(args: argparse.Namespace) -> int:
    # --- Run record: flags, dataset split, devices ------------------------------------
    # Device placement first: splitting the CPU must happen before any TF op.
    strategy = model_deploy.create_strategy(
        model_deploy.DeploymentConfig(args.num_clones, args.clone_on_cpu, args.tpu)
    )
    split = dataset_factory.get_dataset(args.dataset_name, args.dataset_split_name, args.dataset_dir)
    config = train_flags.run_config(args, split)
    model_deploy.check_mixed_precision(config.mixed_precision)
    task = config.task_spec
    smallest = config.net_spec.min_image_size
    if config.image_size and smallest and config.image_size < smallest:
        print(f"Warning: {config.model_name} trains unreliably below {smallest} pixels (--train_image_size="
              f"{config.image_size}): its last stages would run on 1x1 maps. Pass --train_image_size="
              f"{smallest} or more; smaller images are scaled up.", file=sys.stderr)  # fmt: skip
    # Every worker resumes from --train_dir and takes part in saving, but only
    # the chief's checkpoints land there; the others write to a temporary folder.
    write_dir = model_deploy.WriteDir(args.train_dir, strategy)
    if write_dir.chief:
        model_deploy.make_train_dir(args.train_dir)
    with (
        train_dir.TrainDirLock(args.train_dir, enabled=write_dir.chief) as lock,
        signals.StopSignals() as stop,
    ):
        if write_dir.chief:
            for path in train_dir.remove_leftovers(args.train_dir):
                print(f"Removed {path}, left by an interrupted save")
        converted.verify_split(split)  # a short or corrupt shard fails here, by name
        latest = tf.train.latest_checkpoint(args.train_dir)
        changes = (
            run_config.resume_changes(checkpointing.read_config(latest), config, args.train_dir)
            if latest
            else []
        )
        tf.keras.utils.set_random_seed(config.seed)
        # Float32 unless asked: the policy is global, so set it either way.
        tf.keras.mixed_precision.set_global_policy(
            f"mixed_{config.mixed_precision}" if config.mixed_precision else "float32"
        )
        global_batch = config.batch_size * strategy.num_replicas_in_sync

        # --- Net, optimizer, checkpoint ---------------------------------------------------
        steps_per_epoch = split.num_samples / global_batch
        with strategy.scope():
            net = config.build_net(weights=config.pretrained)
            train_vars = fine_tuning.trainable_variables(net, config.trainable_scopes)
            learning_rate = optimization.learning_rate(
                config.optimizer, steps_per_epoch, args.max_number_of_steps
            )
            optimizer = optimization.make_optimizer(config.optimizer, learning_rate)
            if config.mixed_precision == "float16":
                optimizer = tf.keras.optimizers.LossScaleOptimizer(optimizer)
            optimizer.build(train_vars)
            # The moving average lives in a second copy of the net, saved as "ema_model".
            ema_net = config.build_net() if config.moving_average_decay else None
            step = tf.Variable(0, dtype=tf.int64, trainable=False)
            examples_seen = tf.Variable(0, dtype=tf.int64, trainable=False)
        config_var = tf.Variable(config.to_json(), trainable=False)
        checkpoint = tf.train.Checkpoint(
            model=net, optimizer=optimizer, step=step, examples_seen=examples_seen, config=config_var,
            rng=checkpointing.random_states(net), **({"ema_model": ema_net} if ema_net else {}),
        )  # fmt: skip
        manager = tf.train.CheckpointManager(checkpoint, write_dir.path, args.keep_checkpoint_max)
        if latest:
            checkpointing.restore(checkpoint, latest, config, partial=False)
            config_var.assign(config.to_json())  # the record of this run, changes included
            print(f"Resuming from {latest} at step {int(step.numpy())}")
            for change in changes:
                print(f"  changed on resume: {change}")
        elif args.checkpoint_path:
            copied = fine_tuning.warm_start(
                net,
                args.checkpoint_path,
                fine_tuning.parse_scopes(args.checkpoint_exclude_scopes),
                args.ignore_missing_vars,
            )
            print(f"Fine-tuning from {args.checkpoint_path}: {copied} variables taken, the rest from scratch")
        if ema_net is not None and not latest:
            for average, weight in zip(ema_net.weights, net.weights, strict=True):
                average.assign(weight)
        if write_dir.chief:
            _write_record(os.path.join(args.train_dir, "train_config.json"), config)
        max_steps = args.max_number_of_steps or sys.maxsize
        if int(step.numpy()) >= max_steps:
            print(f"{args.train_dir} is already at step {int(step.numpy())} >= --max_number_of_steps.")
            write_dir.cleanup()
            return 0

        # --- Input pipeline ---------------------------------------------------------------
        preprocess = config.preprocess(is_training=True)
        start_example = int(examples_seen.numpy())

        def example(image, label, seed):
            return task.train_example(image, label, preprocess, seed, config)

        def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
            # One pipeline per worker, each batching for its own replicas.
            return input_pipeline.train_dataset(
                split,
                example,
                context.get_per_replica_batch_size(global_batch),
                seed=config.seed,
                start_example=start_example,
                num_workers=context.num_input_pipelines,
                worker_index=context.input_pipeline_id,
            )

        iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))

        # --- Train step: several steps per call keep Python out of the hot loop ------------
        options = dict(config.task_options)

        def step_fn(inputs, targets):
            with tf.GradientTape() as tape:
                outputs, _ = net(inputs, training=True)
                per_example = task.loss(targets, outputs, options, True)
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
                if net.losses:
                    loss += tf.nn.scale_regularization_loss(
                        tf.add_n([tf.cast(x, tf.float32) for x in net.losses])
                    )
                scaled = optimizer.scale_loss(loss) if config.mixed_precision == "float16" else loss
            grads = tape.gradient(scaled, train_vars)
            optimizer.apply_gradients(zip(grads, train_vars, strict=True))
            return loss, tf.linalg.global_norm(grads) / strategy.num_replicas_in_sync

        @tf.function
        def train_steps(iterator, num_steps):
            loss, grad_norm = tf.constant(0.0), tf.constant(0.0)
            for _ in tf.range(num_steps):
                losses, norms = strategy.run(step_fn, args=next(iterator))
                loss = strategy.reduce("SUM", losses, axis=None)
                grad_norm = strategy.reduce("SUM", norms, axis=None)
                step.assign_add(1)
                examples_seen.assign_add(global_batch)
                if not tf.math.is_finite(loss):
                    break  # the step's update is already in the weights: stop before another
                if ema_net is not None:
                    decay = config.moving_average_decay
                    for average, weight in zip(ema_net.weights, net.weights, strict=True):
                        average.assign(decay * average + (1.0 - decay) * weight)
            return loss, grad_norm

        # --- Validation, summaries, progress ----------------------------------------------
        validator, best_manager = None, None
        if args.eval_every_n_steps:
            validator = validation.Validator(
                config, ema_net or net, _validation_split(args, config), args.train_dir, args.keep_best_by,
                args.early_stopping_patience, write_dir.chief, args.validation_batch_size, args.summary_dir,
            )  # fmt: skip
            best = tf.train.Checkpoint(
                model=net, step=step, config=config_var, **({"ema_model": ema_net} if ema_net else {})
            )
            best_manager = tf.train.CheckpointManager(
                best, os.path.join(write_dir.path, validation.BEST_DIR), 1
            )
        writer = (
            tf.summary.create_file_writer(args.summary_dir)
            if write_dir.chief
            else tf.summary.create_noop_writer()
        )
        if write_dir.chief and not latest:
            with writer.as_default(step=0):
                summaries.write_settings(config, 0)
                inputs, targets = next(iter(dataset_fn(tf.distribute.InputContext())))  # a separate stream
                summaries.write_images(
                    inputs, 0, task.summary_images(inputs, targets, config) if task.summary_images else None
                )
        report = progress.TrainingProgress(int(step.numpy()), args.max_number_of_steps, show=write_dir.chief)

        # --- Loop: train, log, validate, checkpoint, stop on a signal -----------------------
        last_save, shown = time.monotonic(), {}
        while int(step.numpy()) < max_steps:
            now = int(step.numpy())
            num_steps = min(args.log_every_n_steps, max_steps - now)
            if validator:
                num_steps = min(num_steps, args.eval_every_n_steps - now % args.eval_every_n_steps)
            start = time.perf_counter()
            loss, grad_norm = (float(x) for x in train_steps(iterator, tf.constant(num_steps)))
            if not tf.math.is_finite(loss):
                _stop_on_non_finite(loss, int(step.numpy()), manager, config)
            now = int(step.numpy())
            rate = num_steps * global_batch / (time.perf_counter() - start)
            with writer.as_default(step=now):
                tf.summary.scalar("loss", loss)
                tf.summary.scalar("examples_per_sec", rate)
                tf.summary.scalar("learning_rate", float(learning_rate(optimizer.iterations)))
                tf.summary.scalar("gradient_global_norm", grad_norm)
            outcome = validation.Outcome()
            if validator and (now % args.eval_every_n_steps == 0 or now == max_steps):
                outcome = validator.validate(now)
                shown = {validator.metric: outcome.metrics[validator.metric]} if outcome.metrics else shown
            report.update(now, loss, rate, shown)
            for line in outcome.messages:
                report.message(line)
            lock.heartbeat()
            save_due, stopping, improved, early = model_deploy.all_agree(
                strategy, time.monotonic() - last_save >= args.save_interval_secs, stop.requested,
                outcome.improved, outcome.stop,
            )  # fmt: skip
            with stop.saving():
                if improved:
                    validator.save_best(best_manager, now, write_dir.chief)
                if save_due or stopping:
                    saved = train_dir.save(manager, now)
                    last_save = time.monotonic()
            if stopping:
                write_dir.cleanup()
                reason = f"on {stop.name}" if stop.requested else "with the job (another worker was stopped)"
                print(f"Stopped {reason} at step {now}; saved {saved}. Run again to resume.", file=sys.stderr)
                return stop.exit_code or signals.TERMINATED
            if early:
                break
        writer.flush()
        with stop.saving():
            saved = train_dir.save(manager, int(step.numpy()))
        write_dir.cleanup()
        if write_dir.chief:
            report.message(f"Saved {saved} at step {int(step.numpy())}")
        return stop.exit_code


def _validation_split(args: argparse.Namespace, config: run_config.RunConfig):
    """The split to validate on: --validation_split_name, else validation (or val) if any, else test."""
    names = [args.validation_split_name] if args.validation_split_name else ["validation", "val", "test"]
    for name in names:
        try:
            split = dataset_factory.get_dataset(config.dataset_name, name, args.dataset_dir)
        except UserError:
            if name == names[-1]:
                raise
            continue
        converted.verify_split(split)
        return split
    raise AssertionError("unreachable")


def _stop_on_non_finite(loss: float, step: int, manager: tf.train.CheckpointManager, config) -> None:
    last = manager.latest_checkpoint
    raise UserError(
        f"the loss became {loss} at step {step}; training stopped and saved nothing of it. "
        + (f"The last finite checkpoint, {last}, is kept. " if last else "No checkpoint was written. ")
        + f"Lower --learning_rate (now {config.optimizer.learning_rate}) or set --clip_gradient_norm, "
        "then run again: it resumes from the last checkpoint."
    )


def _write_record(path: str, config: run_config.RunConfig) -> None:
    with tf.io.gfile.GFile(path + ".incomplete", "w") as f:
        f.write(config.to_json())
    tf.io.gfile.rename(path + ".incomplete", path, overwrite=True)


if __name__ == "__main__":
    sys.exit(main())
