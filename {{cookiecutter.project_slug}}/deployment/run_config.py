"""The run record: what a training run is, written into every checkpoint and beside it as JSON.

``RunConfig`` answers what every consumer needs (class names, input shape,
preprocessing for training or eval, the net itself, the task), so eval.py,
infer.py and export.py rebuild everything from a checkpoint alone, and a
resumed run can tell which of its settings changed.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Mapping

import tensorflow as tf
from tensorflow import keras

from errors import UserError
from nets import nets_factory
from preprocessing import preprocessing_factory
from tasks import tasks_factory
from tasks.task_spec import TaskSpec

FORMAT = "slim-template run record 1"


class CheckpointError(UserError):
    """A checkpoint is missing, foreign, or does not match the net."""


@dataclasses.dataclass(frozen=True)
class OptimizerSettings:
    """The optimizer, its settings and the learning-rate schedule (train.py's flag names).

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


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """One training run (frozen: derive a changed one with ``dataclasses.replace``).

    Attributes:
      model_name, dataset_name, dataset_dir, dataset_split_name: What trained on what.
      task: The task's registry name (from the dataset).
      num_classes: Classes (detection: object classes; regression: outputs).
      labels_to_names: Class id to name.
      image_shape: The stored images' shape, or the feature shape.
      image_size: The net's input height and width (None: feature vectors).
      preprocessing_name: Name in ``preprocessing_factory``.
      optimizer: Optimizer and learning-rate schedule.
      weight_decay, batch_norm_decay, moving_average_decay, mixed_precision,
      pretrained, seed, batch_size, trainable_scopes, random_flip: As the
      train.py flags of those names.
      task_options: The task's own settings (e.g. detection's thresholds).
      flags: Every train.py flag as given, so the run can be started again
        (``train.py --config=<train_dir>/train_config.json``).
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
    optimizer: OptimizerSettings = OptimizerSettings()
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
    flags: Mapping = dataclasses.field(default_factory=dict)
    step: int = 0

    # --- What consumers ask ---------------------------------------------------------

    @property
    def net_spec(self) -> nets_factory.NetSpec:
        return nets_factory.get_net_spec(self.model_name)

    @property
    def task_spec(self) -> TaskSpec:
        return tasks_factory.get_task(self.task)

    @property
    def input_shape(self) -> tuple:
        """The shape of one net input: ``(size, size, channels)``, or the feature shape."""
        if self.image_size:
            return (self.image_size, self.image_size, self.image_shape[-1])
        return tuple(self.image_shape)

    @property
    def class_names(self) -> list[str]:
        return [self.labels_to_names[k] for k in sorted(self.labels_to_names)]

    def preprocess(self, is_training: bool) -> Callable[..., tf.Tensor]:
        """``fn(image, seed=None)``: the run's preprocessing at the net's input size."""
        fn = preprocessing_factory.get_preprocessing(self.preprocessing_name, is_training=is_training)
        if is_training:
            fn = functools.partial(fn, random_flip=self.random_flip)
        if not self.image_size:
            return fn
        return functools.partial(fn, output_height=self.image_size, output_width=self.image_size)

    def build_net(self, weights: str | None = None) -> keras.Model:
        """Builds the net with its variables (``weights``: e.g. "imagenet" to start from)."""
        options = {"weights": weights} if weights else {}
        try:
            net = nets_factory.get_network(self.model_name, self.num_classes, self.weight_decay, **options)
        except (ValueError, UserError) as e:  # e.g. --pretrained for a net with no published weights
            raise CheckpointError(f"cannot start {self.model_name!r} from {weights!r} weights: {e}") from e
        net(tf.zeros((1, *self.input_shape)), training=False)  # creates the layers and variables
        if self.batch_norm_decay is not None:
            set_batch_norm_decay(net, self.batch_norm_decay)
        check_checkpointable(net)
        return net

    # --- Stored form --------------------------------------------------------------------

    def to_json(self) -> str:
        record = dataclasses.asdict(self)
        record["labels_to_names"] = {str(k): v for k, v in self.labels_to_names.items()}
        del record["step"]
        return json.dumps({"format": FORMAT, **record}, indent=2, default=list)

    @classmethod
    def from_json(cls, text: str, step: int = 0) -> RunConfig:
        record = json.loads(text)
        if record.pop("format", None) != FORMAT:
            raise CheckpointError("the run record is not one this project's train.py wrote")
        record["labels_to_names"] = {int(k): v for k, v in record["labels_to_names"].items()}
        record["image_shape"] = tuple(record["image_shape"])
        record["optimizer"] = OptimizerSettings(**record["optimizer"])
        return cls(**record, step=step)


def set_batch_norm_decay(net: keras.Model, decay: float) -> None:
    """Sets the moving-average decay (Keras' momentum) of every batch-norm layer in the net.

    Inference uses the moving statistics. Keras' keras.applications nets keep
    them with momentum 0.99 or 0.999; after a few hundred steps (a short run,
    a fine-tuning) 0.999 leaves them mostly at their initial values, and a net
    that trains well predicts one class in eval, infer and export.
    """
    for layer in net._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = decay


def check_checkpointable(net: keras.Model) -> None:
    """Fails if some of the net's variables would be left out of its checkpoints.

    tf.train.Checkpoint saves what it reaches through object attributes; under
    Keras 3 a layer kept only in a Python list or dict is not reached, and its
    weights would silently restore as fresh random values.
    """
    reached = {id(obj) for obj in tf.train.TrackableView(net).descendants()}
    lost = [w.path for w in net.weights if id(w) not in reached]
    if lost:
        raise CheckpointError(
            f"net {net.name!r} has variables a checkpoint would not save: {', '.join(lost)}. "
            "Assign each layer to its own attribute (layers kept in a list or dict are "
            "not tracked by tf.train.Checkpoint)."
        )


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
# decay, the task's settings, the batch size, the dataset's folder, the loop's flags.


def resume_changes(stored: RunConfig, new: RunConfig, train_dir: str) -> list[str]:
    """What a resumed run changes, as ``--flag: old -> new`` lines.

    Raises:
      CheckpointError: a setting fixed for a run differs; the message names the
        flag and how to start a new run from the checkpoint instead.
    """
    fixed = [(flag, getattr(stored, f), getattr(new, f)) for f, flag in FIXED_ON_RESUME.items()]
    fixed.append(("--optimizer", stored.optimizer.optimizer, new.optimizer.optimizer))
    fixed.append(("--dataset_dir (its images' channels)", stored.input_shape, new.input_shape))
    fixed.append(
        (
            "--moving_average_decay (on or off)",
            bool(stored.moving_average_decay),
            bool(new.moving_average_decay),
        )
    )
    for flag, old, value in fixed:
        if old != value:
            raise CheckpointError(
                f"{train_dir} holds a run with {flag}={_show(old)}, not {_show(value)}, and that is fixed "
                "for a run (its checkpoint's variables, data and input order belong to it). To start a new "
                f"run from it, pass --checkpoint_path={train_dir} with another --train_dir."
            )
    pairs = [(f"--{f.name}", getattr(stored.optimizer, f.name), getattr(new.optimizer, f.name))
             for f in dataclasses.fields(OptimizerSettings) if f.name != "optimizer"]  # fmt: skip
    for name in (
        "weight_decay",
        "batch_norm_decay",
        "moving_average_decay",
        "batch_size",
        "dataset_dir",
        "random_flip",
    ):
        pairs.append((f"--{name}", getattr(stored, name), getattr(new, name)))
    for name in sorted(set(stored.task_options) | set(new.task_options)):
        pairs.append((f"--{name}", stored.task_options.get(name), new.task_options.get(name)))
    return [f"{flag}: {_show(old)} -> {_show(value)}" for flag, old, value in pairs if old != value]


def _show(value) -> str:
    if isinstance(value, Mapping):
        return f"{len(value)} classes ({', '.join(str(v) for v in list(value.values())[:3])}, ...)"
    return str(value)
