"""The run record: what a training run is, written into every checkpoint and beside it as JSON.

Plain data at the bottom of the project: it imports no net, task or dataset
(``deployment/assembly.py`` builds those from it), so anything can read it.
Every setting train.py takes is a typed field here, grouped by what uses it,
and the flag of a setting has the field's name (``--train_image_size`` for
``image_size`` is the one exception, as in TF-Slim). eval.py, infer.py and
export.py rebuild a run from a checkpoint's record alone, and a resumed run
can tell which of its settings changed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

from errors import UserError

FORMAT = "slim-template run record 2"
_OLD_FORMAT = "slim-template run record 1"  # flags kept as a raw dict; still read


class CheckpointError(UserError):
    """A checkpoint is missing, foreign, or does not match the net."""


# The names OptimizerSettings takes (training/optimization.py builds each).
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "ftrl")
DECAY_TYPES = ("fixed", "exponential", "polynomial", "cosine")


@dataclasses.dataclass(frozen=True)
class OptimizerSettings:
    """The optimizer, its settings and the learning-rate schedule.

    Schedules count in epochs of the training split, as in TF-Slim, and may
    start with a linear warm-up.
    """

    optimizer: str = "momentum"
    learning_rate: float = 0.01
    learning_rate_decay_type: str = "fixed"
    learning_rate_decay_factor: float = 0.94
    num_epochs_per_decay: float = 2.0
    end_learning_rate: float = 0.0001
    warmup_epochs: float = 0.0
    momentum: float = 0.9
    rmsprop_decay: float = 0.9
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adamw_weight_decay: float = 0.004
    adagrad_initial_accumulator_value: float = 0.1
    adadelta_rho: float = 0.95
    ftrl_learning_rate_power: float = -0.5
    ftrl_initial_accumulator_value: float = 0.1
    ftrl_l1: float = 0.0
    ftrl_l2: float = 0.0
    opt_epsilon: float = 1e-7
    clip_gradient_norm: float = 0.0
    # The layers a run starts with from weights (--checkpoint_path or --pretrained) take this share of
    # each update; the new ones (excluded scopes, --pretrained's logits) take all of it.
    pretrained_rate_multiplier: float = 1.0


@dataclasses.dataclass(frozen=True)
class LoopSettings:
    """Where a run writes, how long it trains, how often it logs and saves."""

    train_dir: str = "checkpoints/run"
    summary_dir: str | None = None  # None: train_dir
    max_number_of_steps: int | None = None  # None: until interrupted
    log_every_n_steps: int = 10
    save_interval_secs: float = 600.0
    keep_checkpoint_max: int = 5


@dataclasses.dataclass(frozen=True)
class ValidationSettings:
    """Evaluation inside the training loop, the best checkpoint and early stopping."""

    eval_every_n_steps: int | None = None  # None: never
    validation_split_name: str | None = None  # None: validation, val or test, the first there is
    keep_best_by: str | None = None  # None: the task's main metric
    early_stopping_patience: int | None = None
    validation_batch_size: int = 100


@dataclasses.dataclass(frozen=True)
class WarmStartSettings:
    """Where a new run takes its first weights from (TF-Slim's fine-tuning flags)."""

    checkpoint_path: str | None = None
    checkpoint_exclude_scopes: str | None = None
    ignore_missing_vars: bool = False
    new_logits: str = "zeros"  # how new logits start: zeros (fine_tuning.start_new_logits) or random


@dataclasses.dataclass(frozen=True)
class DeploymentConfig:
    """How to place the model.

    Attributes:
      num_clones: Copies of the model on this machine, one per device.
      clone_on_cpu: Put the copies on logical CPU devices even if GPUs exist.
      tpu: A TPU name or address for TPUStrategy (``local`` for a TPU VM).
    """

    num_clones: int = 1
    clone_on_cpu: bool = False
    tpu: str | None = None


SECTIONS = {
    "optimizer": OptimizerSettings,
    "loop": LoopSettings,
    "validation": ValidationSettings,
    "warm_start": WarmStartSettings,
    "deployment": DeploymentConfig,
}


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """One training run (frozen: derive a changed one with ``dataclasses.replace``).

    Attributes:
      model_name, dataset_name, dataset_dir, dataset_split_name: What trained on what.
      task: The task's registry name (from the dataset).
      num_classes: Classes (or outputs, for regression).
      labels_to_names: Class id to name.
      image_shape: The stored images' shape, or the feature shape.
      image_size: The net's input height and width (None: feature vectors).
      preprocessing_name: Name in ``preprocessing_factory``.
      weight_decay, batch_norm_decay, moving_average_decay, mixed_precision,
      pretrained, seed, batch_size, trainable_scopes, random_flip: As the
        train.py flags of those names.
      task_options: The task's own settings.
      optimizer, loop, validation, warm_start, deployment: The settings of
        each of those.
      step: The checkpoint's global step (0 before training).
    """

    model_name: str
    dataset_name: str
    dataset_dir: str | None
    dataset_split_name: str
    task: str
    num_classes: int
    labels_to_names: Mapping[int, str]
    image_shape: tuple
    image_size: int | None
    preprocessing_name: str
    weight_decay: float = 0.0
    batch_norm_decay: float | None = None
    moving_average_decay: float | None = None
    mixed_precision: str | None = None
    pretrained: str | None = None
    seed: int = 0
    batch_size: int = 32
    trainable_scopes: str | None = None
    random_flip: bool = True
    task_options: Mapping = dataclasses.field(default_factory=dict)
    optimizer: OptimizerSettings = OptimizerSettings()
    loop: LoopSettings = LoopSettings()
    validation: ValidationSettings = ValidationSettings()
    warm_start: WarmStartSettings = WarmStartSettings()
    deployment: DeploymentConfig = DeploymentConfig()
    step: int = 0

    @property
    def input_shape(self) -> tuple:
        """The shape of one net input: ``(size, size, channels)``, or the feature shape."""
        if self.image_size:
            return (self.image_size, self.image_size, self.image_shape[-1])
        return tuple(self.image_shape)

    @property
    def class_names(self) -> list[str]:
        return [self.labels_to_names[k] for k in sorted(self.labels_to_names)]

    # --- Stored form --------------------------------------------------------------------

    def to_json(self) -> str:
        record = dataclasses.asdict(self)
        record["labels_to_names"] = {str(k): v for k, v in self.labels_to_names.items()}
        del record["step"]
        return json.dumps({"format": FORMAT, **record}, indent=2, default=list)

    @classmethod
    def from_json(cls, text: str, step: int = 0) -> RunConfig:
        record = json.loads(text)
        kind = record.pop("format", None)
        if kind == _OLD_FORMAT:
            flags = record.pop("flags", {})
            for name, section in SECTIONS.items():
                if name != "optimizer":
                    known = {f.name for f in dataclasses.fields(section)}
                    record[name] = {k: v for k, v in flags.items() if k in known and v is not None}
        elif kind != FORMAT:
            raise CheckpointError("the run record is not one this project's train.py wrote")
        record["labels_to_names"] = {int(k): v for k, v in record["labels_to_names"].items()}
        record["image_shape"] = tuple(record["image_shape"])
        for name, section in SECTIONS.items():
            record[name] = section(**record.get(name, {}))
        return cls(**record, step=step)


# --- Resuming: which settings a run keeps, and which a resumed run may change ----------------

# Fixed for a run: the checkpoint's variables, the data they were fitted to and the
# input order belong to them. The flag named in the refusal, per field.
FIXED_ON_RESUME = {
    "model_name": "--model_name",
    "dataset_name": "--dataset_name",
    "dataset_split_name": "--dataset_split_name",
    "task": "--dataset_name",
    "num_classes": "--dataset_dir (its number of classes)",
    "labels_to_names": "--dataset_dir (its class names)",
    "image_size": "--train_image_size",
    "preprocessing_name": "--preprocessing_name",
    "mixed_precision": "--mixed_precision",
    "trainable_scopes": "--trainable_scopes",
    "seed": "--seed",
}
# May change on resume and are applied (the new value is recorded in the checkpoints that
# follow): the optimizer's settings but its name, the schedule, weight and batch-norm
# decay, the task's settings, the batch size, the dataset's folder, the loop's settings.
CHANGEABLE_ON_RESUME = (
    "weight_decay",
    "batch_norm_decay",
    "moving_average_decay",
    "batch_size",
    "dataset_dir",
    "random_flip",
)


def resume_changes(stored: RunConfig, new: RunConfig, train_dir: str) -> list[str]:
    """What a resumed run changes, as ``--flag: old -> new`` lines.

    Raises:
      CheckpointError: a setting fixed for a run differs; the message names the
        flag and how to start a new run from the checkpoint instead.
    """
    fixed = [(flag, getattr(stored, f), getattr(new, f)) for f, flag in FIXED_ON_RESUME.items()]
    fixed.append(("--optimizer", stored.optimizer.optimizer, new.optimizer.optimizer))
    fixed.append(("--dataset_dir (its images' channels)", stored.input_shape, new.input_shape))
    fixed.append(("--moving_average_decay (on or off)", bool(stored.moving_average_decay),
                  bool(new.moving_average_decay)))  # fmt: skip
    for flag, old, value in fixed:
        if old != value:
            raise CheckpointError(
                f"{train_dir} holds a run with {flag}={_show(old)}, not {_show(value)}, and that is fixed "
                "for a run (its checkpoint's variables, data and input order belong to it). To start a new "
                f"run from it, pass --checkpoint_path={train_dir} with another --train_dir."
            )
    pairs = [(f"--{f.name}", getattr(stored.optimizer, f.name), getattr(new.optimizer, f.name))
             for f in dataclasses.fields(OptimizerSettings) if f.name != "optimizer"]  # fmt: skip
    pairs += [(f"--{name}", getattr(stored, name), getattr(new, name)) for name in CHANGEABLE_ON_RESUME]
    for name in sorted(set(stored.task_options) | set(new.task_options)):
        pairs.append((f"--{name}", stored.task_options.get(name), new.task_options.get(name)))
    return [f"{flag}: {_show(old)} -> {_show(value)}" for flag, old, value in pairs if old != value]


def _show(value) -> str:
    if isinstance(value, Mapping):
        return f"{len(value)} classes ({', '.join(str(v) for v in list(value.values())[:3])}, ...)"
    return str(value)
