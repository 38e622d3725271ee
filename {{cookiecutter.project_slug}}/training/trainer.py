"""The training loop, as a component: built from a run record and a strategy, it returns what happened.

``Trainer(config, strategy).run()`` trains ``config`` (a ``RunConfig``) and
returns a ``TrainResult``: the step reached, the logged losses, the last and
best checkpoints, and why it stopped. train.py is a thin layer over it;
benchmarks and tests run the same loop users run.

It resumes by itself from the latest checkpoint in ``config.loop.train_dir``:
the step, the optimizer state, the input position and every random state
carry on, so a run that stops and starts again is the run that never
stopped. Inside the loop, several steps run per ``tf.function`` call;
between calls it logs, validates, checkpoints on time, and agrees with the
other workers on saving and stopping (a signal to any of them stops all).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time

from cli import progress

import tensorflow as tf

from datasets import converted, dataset_factory, input_pipeline
from datasets.splits import DatasetSplit
from deployment import assembly, checkpointing, model_deploy, run_config
from deployment.run_config import RunConfig
from errors import UserError
from training import fine_tuning, optimization, signals, summaries, train_dir, validation


@dataclasses.dataclass
class TrainResult:
    """What a run did.

    Attributes:
      step: The global step reached.
      losses: ``(step, loss)`` at every log line of this process.
      checkpoint: The last checkpoint written (None if this process wrote none).
      best: ``best.json``'s record (metric, value, step) when validating, else None.
      stopped_by: Why the loop ended early: a signal's name, ``"early stopping"``,
        ``"another worker"``; None when it reached ``max_number_of_steps``.
      exit_code: 0, or the status a stopping signal calls for (130, 143).
      resumed_from: The checkpoint it resumed from, if any.
      changes: Settings the resumed run changed (``--flag: old -> new``).
    """

    step: int
    losses: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    checkpoint: str | None = None
    best: dict | None = None
    stopped_by: str | None = None
    exit_code: int = 0
    resumed_from: str | None = None
    changes: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _State:
    """What the loop trains and saves."""

    net: tf.keras.Model
    ema_net: tf.keras.Model | None
    optimizer: tf.keras.optimizers.Optimizer
    learning_rate: object
    train_vars: list
    step: tf.Variable
    examples_seen: tf.Variable
    record: tf.Variable
    manager: tf.train.CheckpointManager
    pretrained_vars: list  # trained at --pretrained_rate_multiplier of each update


class Trainer:
    """Trains one run. Create the strategy first: placing devices must come before any TF op."""

    def __init__(
        self, config: RunConfig, strategy: tf.distribute.Strategy, split: DatasetSplit | None = None
    ):
        self.config, self.strategy = config, strategy
        self.split = split or dataset_factory.get_dataset(
            config.dataset_name, config.dataset_split_name, config.dataset_dir
        )
        self.task = assembly.task(config)
        self.loop = config.loop
        self.write_dir = model_deploy.WriteDir(self.loop.train_dir, strategy)
        self.global_batch = config.batch_size * strategy.num_replicas_in_sync

    def run(self, report: progress.TrainingProgress | None = None) -> TrainResult:
        """Trains to ``max_number_of_steps`` (or a signal, or early stopping); saves; says what happened."""
        chief = self.write_dir.chief
        with (
            train_dir.made_for_this_run(self.loop.train_dir, enabled=chief),
            train_dir.TrainDirLock(self.loop.train_dir, enabled=chief) as lock,
            signals.StopSignals() as stop,
        ):
            if chief:
                for path in train_dir.remove_leftovers(self.loop.train_dir):
                    print(f"Removed {path}, left by an interrupted save")
            converted.check_split(self.split)  # a truncated or replaced shard fails here, by name
            latest = self._intact_checkpoint()
            result = TrainResult(step=0, resumed_from=latest)
            if latest:
                stored = checkpointing.read_config(latest)
                result.changes = run_config.resume_changes(stored, self.config, self.loop.train_dir)
            state = self._build()
            self._restore_or_warm_start(state, result)
            result.step = int(state.step.numpy())
            max_steps = self.loop.max_number_of_steps or sys.maxsize
            if result.step >= max_steps:
                print(f"{self.loop.train_dir} is already at step {result.step} >= --max_number_of_steps.")
                self.write_dir.cleanup()
                return result
            report = report or progress.TrainingProgress(
                result.step, self.loop.max_number_of_steps, show=chief
            )
            try:
                self._loop(state, result, report, lock, stop, max_steps)
            except tf.errors.DataLossError:
                converted.verify_split(self.split)  # names the shard with the corrupt record
                raise
            self.write_dir.cleanup()
            if chief and result.stopped_by in (None, "early stopping"):
                report.message(f"Saved {result.checkpoint} at step {result.step}")
            return result

    # --- Net, optimizer, checkpoint ------------------------------------------------------------

    def _intact_checkpoint(self) -> str | None:
        """The checkpoint to resume from: the newest intact one; damaged newer ones are set aside."""
        directory = self.loop.train_dir
        latest, damaged = checkpointing.newest_intact(directory)
        if damaged and latest is None:
            path, reason = damaged[0]
            raise checkpointing.CheckpointError(
                f"every checkpoint in {directory} is damaged (the newest, {path}: {reason}). Restore "
                "a copy of the folder, or move its ckpt-* files elsewhere to train from scratch."
            )
        if damaged and self.write_dir.chief:
            folder = train_dir.set_aside(directory, [path for path, _ in damaged])
            for path, reason in damaged:
                print(f"warning: {path} is damaged ({reason}); moved into {folder}", file=sys.stderr)
            print(f"warning: resuming from {latest}, the newest intact checkpoint", file=sys.stderr)
        return latest

    def _build(self) -> _State:
        config = self.config
        tf.keras.utils.set_random_seed(config.seed)
        # Float32 unless asked: the policy is global, so set it either way.
        tf.keras.mixed_precision.set_global_policy(
            f"mixed_{config.mixed_precision}" if config.mixed_precision else "float32"
        )
        with self.strategy.scope():
            net = assembly.build_net(config, weights=config.pretrained)
            train_vars = fine_tuning.trainable_variables(net, config.model_name, config.trainable_scopes)
            steps_per_epoch = self.split.num_samples / self.global_batch
            learning_rate = optimization.learning_rate(
                config.optimizer, steps_per_epoch, self.loop.max_number_of_steps
            )
            optimizer = optimization.make_optimizer(config.optimizer, learning_rate)
            if config.mixed_precision == "float16":
                optimizer = tf.keras.optimizers.LossScaleOptimizer(optimizer)
            optimizer.build(train_vars)
            # The moving average lives in a second copy of the net, saved as "ema_model".
            ema_net = assembly.build_net(config) if config.moving_average_decay else None
            step = tf.Variable(0, dtype=tf.int64, trainable=False)
            examples_seen = tf.Variable(0, dtype=tf.int64, trainable=False)
        record = tf.Variable(config.to_json(), trainable=False)
        checkpoint = tf.train.Checkpoint(
            model=net, optimizer=optimizer, step=step, examples_seen=examples_seen, config=record,
            rng=checkpointing.random_states(net), **({"ema_model": ema_net} if ema_net else {}),
        )  # fmt: skip
        manager = tf.train.CheckpointManager(checkpoint, self.write_dir.path, self.loop.keep_checkpoint_max)
        pretrained_vars = fine_tuning.pretrained_variables(net, config, train_vars)
        return _State(
            net, ema_net, optimizer, learning_rate, train_vars, step, examples_seen, record, manager,
            pretrained_vars,
        )  # fmt: skip

    def _restore_or_warm_start(self, state: _State, result: TrainResult) -> None:
        config, latest = self.config, result.resumed_from
        if latest:
            checkpointing.restore(state.manager.checkpoint, latest, config, partial=False)
            state.record.assign(config.to_json())  # the record of this run, changes included
            print(f"Resuming from {latest} at step {int(state.step.numpy())}")
            for change in result.changes:
                print(f"  changed on resume: {change}")
        elif config.warm_start.checkpoint_path:
            warm = config.warm_start
            copied = fine_tuning.warm_start(
                state.net, config.model_name, warm.checkpoint_path,
                fine_tuning.parse_scopes(warm.checkpoint_exclude_scopes), warm.ignore_missing_vars,
            )  # fmt: skip
            print(f"Fine-tuning from {warm.checkpoint_path}: {copied} variables taken, the rest from scratch")
        if not latest:
            fine_tuning.start_new_logits(state.net, config)
        if state.ema_net is not None and not latest:
            for average, weight in zip(state.ema_net.weights, state.net.weights, strict=True):
                average.assign(weight)
        if self.write_dir.chief:
            path = os.path.join(self.loop.train_dir, "train_config.json")
            converted.write_text(path, config.to_json())

    # --- Input pipeline and train step ---------------------------------------------------------

    def _dataset_fn(self, start_example: int):
        preprocess, task = assembly.preprocessing(self.config, is_training=True), self.task

        def example(image, label, seed):
            return task.train_example(image=image, label=label, preprocess=preprocess, seed=seed)

        def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
            # One pipeline per worker, each batching for its own replicas.
            return input_pipeline.train_dataset(
                self.split, example, context.get_per_replica_batch_size(self.global_batch),
                seed=self.config.seed, start_example=start_example,
                num_workers=context.num_input_pipelines, worker_index=context.input_pipeline_id,
            )  # fmt: skip

        return dataset_fn

    def _train_steps(self, state: _State):
        """A tf.function running several steps per call, which keeps Python out of the hot loop."""
        config, strategy, task, global_batch = self.config, self.strategy, self.task, self.global_batch
        net, optimizer, train_vars = state.net, state.optimizer, state.train_vars

        def step_fn(inputs, targets, last):
            with tf.GradientTape() as tape:
                outputs, _ = net(inputs, training=True)
                per_example = task.loss(targets=targets, outputs=outputs, training=True)
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
                if net.losses:
                    loss += tf.nn.scale_regularization_loss(
                        tf.add_n([tf.cast(x, tf.float32) for x in net.losses])
                    )
                scaled = optimizer.scale_loss(loss) if config.mixed_precision == "float16" else loss
            grads = tape.gradient(scaled, train_vars)
            optimizer.apply_gradients(zip(grads, train_vars, strict=True))
            # Logged once a call, so computed once a call: every step cost LeNet 4% of its rate.
            norm = tf.cond(last, lambda: tf.linalg.global_norm(grads), lambda: tf.constant(0.0))
            return loss, norm / strategy.num_replicas_in_sync

        multiplier = config.optimizer.pretrained_rate_multiplier
        slower = state.pretrained_vars if multiplier != 1.0 else []

        @tf.function
        def train_steps(iterator, num_steps):
            loss, grad_norm = tf.constant(0.0), tf.constant(0.0)
            for i in tf.range(num_steps):
                before = [tf.identity(v) for v in slower]
                losses, norms = strategy.run(step_fn, args=(*next(iterator), i == num_steps - 1))
                for variable, old in zip(slower, before, strict=True):  # a share of the optimizer's update
                    variable.assign(old + multiplier * (variable - old))
                loss = strategy.reduce("SUM", losses, axis=None)
                grad_norm = strategy.reduce("SUM", norms, axis=None)
                state.step.assign_add(1)
                state.examples_seen.assign_add(global_batch)
                if not tf.math.is_finite(loss):
                    break  # the step's update is already in the weights: stop before another
                if state.ema_net is not None:
                    decay = config.moving_average_decay
                    for average, weight in zip(state.ema_net.weights, net.weights, strict=True):
                        average.assign(decay * average + (1.0 - decay) * weight)
            return loss, grad_norm

        return train_steps

    # --- Validation, summaries ------------------------------------------------------------------

    def _validator(self, state: _State):
        """The validator and the manager of ``best/`` (None, None without --eval_every_n_steps)."""
        if not self.config.validation.eval_every_n_steps:
            return None, None
        net = state.ema_net or state.net
        validator = validation.Validator(self.config, net, self._validation_split(), self.write_dir.chief)
        best = tf.train.Checkpoint(
            model=state.net, step=state.step, config=state.record,
            **({"ema_model": state.ema_net} if state.ema_net else {}),
        )  # fmt: skip
        path = os.path.join(self.write_dir.path, validation.BEST_DIR)
        return validator, tf.train.CheckpointManager(best, path, 1)

    def _validation_split(self) -> DatasetSplit:
        """--validation_split_name, else validation (or val) if the dataset has it, else test."""
        name = self.config.validation.validation_split_name
        split = dataset_factory.get_first_split(
            self.config.dataset_name,
            [name] if name else ["validation", "val", "test"],
            self.config.dataset_dir,
        )
        converted.check_split(split)
        return split

    def _first_summaries(self, writer, dataset_fn) -> None:
        with writer.as_default(step=0):
            summaries.write_settings(self.config, 0)
            inputs, targets = next(iter(dataset_fn(tf.distribute.InputContext())))  # a separate stream
            summaries.write_images(inputs, 0, self.task.summary_images(inputs=inputs, targets=targets))

    # --- The loop: train, log, validate, checkpoint, stop on a signal ------------------------------

    def _loop(self, state, result, report, lock, stop, max_steps) -> None:
        loop, chief = self.loop, self.write_dir.chief
        dataset_fn = self._dataset_fn(int(state.examples_seen.numpy()))
        iterator = iter(self.strategy.distribute_datasets_from_function(dataset_fn))
        train_steps = self._train_steps(state)
        validator, best_manager = self._validator(state)
        every = self.config.validation.eval_every_n_steps
        writer = tf.summary.create_file_writer(loop.summary_dir or loop.train_dir) if chief else None
        writer = writer or tf.summary.create_noop_writer()
        if chief and not result.resumed_from:
            self._first_summaries(writer, dataset_fn)
        last_save, saved_step, shown = time.monotonic(), None, {}
        while result.step < max_steps:
            num_steps = min(loop.log_every_n_steps, max_steps - result.step)
            if validator:
                num_steps = min(num_steps, every - result.step % every)
            start = time.perf_counter()
            loss, grad_norm = (float(x) for x in train_steps(iterator, tf.constant(num_steps)))
            result.step = int(state.step.numpy())
            if not tf.math.is_finite(loss):
                raise _non_finite(loss, result.step, state.manager, self.config)
            rate = num_steps * self.global_batch / (time.perf_counter() - start)
            result.losses.append((result.step, loss))
            with writer.as_default(step=result.step):
                tf.summary.scalar("loss", loss)
                tf.summary.scalar("examples_per_sec", rate)
                tf.summary.scalar("learning_rate", float(state.learning_rate(state.optimizer.iterations)))
                tf.summary.scalar("gradient_global_norm", grad_norm)
            outcome = validation.Outcome()
            if validator and (result.step % every == 0 or result.step == max_steps):
                outcome = validator.validate(result.step)
                shown = {validator.metric: outcome.metrics[validator.metric]} if outcome.metrics else shown
                result.best = validator.best
            report.update(result.step, loss, rate, shown)
            for line in outcome.messages:
                report.message(line)
            lock.heartbeat()
            save_due, stopping, improved, early = model_deploy.all_agree(
                self.strategy, time.monotonic() - last_save >= loop.save_interval_secs, stop.requested,
                outcome.improved, outcome.stop,
            )  # fmt: skip
            with stop.saving():
                if improved:
                    validator.save_best(best_manager, result.step, chief)
                if save_due or stopping:
                    result.checkpoint = train_dir.save(state.manager, result.step)
                    last_save, saved_step = time.monotonic(), result.step
            if stopping:
                result.stopped_by = stop.name or "another worker"
                result.exit_code = stop.exit_code or signals.TERMINATED
                reason = f"on {stop.name}" if stop.requested else "with the job (another worker was stopped)"
                print(f"Stopped {reason} at step {result.step}; saved {result.checkpoint}. "
                      "Run again to resume.", file=sys.stderr)  # fmt: skip
                return
            if early:
                result.stopped_by = "early stopping"
                break
        writer.flush()
        if saved_step != result.step:  # saving the same step again would rewrite files an eval may be reading
            with stop.saving():
                result.checkpoint = train_dir.save(state.manager, result.step)
        result.exit_code = stop.exit_code


def _non_finite(loss: float, step: int, manager: tf.train.CheckpointManager, config: RunConfig) -> UserError:
    last = manager.latest_checkpoint
    return UserError(
        f"the loss became {loss} at step {step}; training stopped and saved nothing of it. "
        + (f"The last finite checkpoint, {last}, is kept. " if last else "No checkpoint was written. ")
        + f"Lower --learning_rate (now {config.optimizer.learning_rate}) or set --clip_gradient_norm, "
        "then run again: it resumes from the last checkpoint."
    )
