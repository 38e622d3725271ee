"""train.py's flags, and the run record made from them (``settings``).

Flags that a net's recipe sets (the optimizer and its settings, weight decay)
default to None here: a value not given comes from the net's record
(``NetSpec.recipe``), and only then from the optimizer's own default. Every
flag lands in a typed field of the record (``deployment/run_config.py``); no
library code sees the flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

from cli import flags

from datasets.splits import DatasetSplit
from deployment import run_config
from deployment.run_config import OptimizerSettings, RunConfig
from errors import UserError
from nets import nets_factory
from preprocessing import preprocessing_factory
from tasks import tasks_factory


def add_flags(p: flags.Parser) -> None:
    p.add_argument(
        "--train_dir",
        help="Where checkpoints and summaries go (default: checkpoints/<dataset_name>_<model_name>).",
    )
    p.add_argument("--summary_dir", help="Where TensorBoard summaries go (default: --train_dir).")
    flags.add_dataset_flags(p, split="train")
    p.add_argument(
        "--preprocessing_name",
        choices=list(preprocessing_factory.preprocessing_fn_map()),
        help="Default: the net's own.",
    )
    p.add_argument("--train_image_size", type=flags.positive_int, help="Default: the net's own.")
    flags.add_batch_size_flag(
        p,
        32,
        "Examples per step on each replica (device); the global batch is this times the number "
        "of replicas, and --learning_rate applies to the global batch's mean loss.",
    )
    p.add_argument(
        "--random_flip",
        type=flags.boolean,
        help="Mirror training images at random: true or false. Default: the dataset's (its images' mirror "
        "images keep their labels: photos yes, MNIST's digits no).",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="Seeds the initial weights, dropout, input order, augmentation."
    )

    _add_net_flags(p.add_argument_group("net"))
    p.choice_hints["--model_name"] = nets_factory.OTHER_NETS
    _add_fine_tuning_flags(
        p.add_argument_group("fine-tuning (used only while --train_dir holds no checkpoint, as in TF-Slim)")
    )
    _add_optimization_flags(p.add_argument_group("optimization (defaults: the net's recipe)"))
    flags.add_task_flags(p)
    _add_loop_flags(p.add_argument_group("loop, logging and checkpoints"))
    _add_validation_flags(p.add_argument_group("validation while training"))
    flags.add_device_flags(p)


def _add_net_flags(net) -> None:
    net.add_argument("--model_name", default="lenet", choices=nets_factory.net_names(), help="The net.")
    net.add_argument(
        "--weight_decay",
        type=flags.non_negative_float,
        help="L2 coefficient: adds weight_decay * sum(w**2) / 2, as TF-Slim. "
        "Default: the net's recipe, else 4e-5.",
    )
    net.add_argument(
        "--batch_norm_decay",
        type=flags.fraction,
        help="Decay of batch norm's moving statistics, which eval, infer and export use "
        "(TF-Slim's batch_norm_decay; Keras calls it momentum). Default: the net's recipe.",
    )
    net.add_argument(
        "--mixed_precision",
        choices=("bfloat16", "float16"),
        help="Compute in bfloat16 (CPUs with bf16 instructions, GPUs) or float16 (GPUs); "
        "weights, logits and loss stay float32.",
    )
    net.add_argument(
        "--pretrained",
        metavar="imagenet|FILE",
        help="keras.applications nets: start from Keras' ImageNet weights (from Keras' cache, "
        "$KERAS_HOME/models or ~/.keras/models, else downloaded) or from a Keras weights file of the "
        "net without its top (.h5, .weights.h5). Grey images are repeated to RGB. For TF-Slim's "
        "checkpoints use --checkpoint_path.",
    )


def _add_fine_tuning_flags(tune) -> None:
    tune.add_argument("--checkpoint_path", help="Start from this checkpoint (file or directory).")
    tune.add_argument(
        "--checkpoint_exclude_scopes", help="Comma-separated scopes not to take from it, e.g. Logits."
    )
    tune.add_argument("--trainable_scopes", help="Comma-separated scopes to train (default: all).")
    tune.add_argument(
        "--ignore_missing_vars", action="store_true", help="Start what the checkpoint lacks from scratch."
    )
    tune.add_argument("--new_logits", choices=("zeros", "random"), default="zeros",
                      help="Fine-tuning's new logits start at zero (BiT's head) or random.")  # fmt: skip


def _add_validation_flags(v) -> None:
    v.add_argument(
        "--eval_every_n_steps",
        type=flags.positive_int,
        help="Evaluate on --validation_split_name every N steps, in this process (default: never).",
    )
    v.add_argument(
        "--validation_split_name", help="Default: validation if the dataset has it (or val), else test."
    )
    v.add_argument(
        "--keep_best_by",
        help="The metric that picks the checkpoint kept in <train_dir>/best (accuracy, loss, mse...; "
        "the task says which way is better). Default: the task's main metric.",
    )
    v.add_argument(
        "--early_stopping_patience",
        type=flags.positive_int,
        help="Stop after this many evaluations without a better --keep_best_by (default: never).",
    )
    v.add_argument(
        "--validation_batch_size", type=flags.positive_int, default=100, help="Examples per batch."
    )


def _add_loop_flags(loop) -> None:
    loop.add_argument(
        "--max_number_of_steps",
        type=flags.positive_int,
        help="Stop at this global step (default: train until interrupted).",
    )
    loop.add_argument(
        "--log_every_n_steps", type=flags.positive_int, default=10, help="Log the loss every N steps."
    )
    loop.add_argument(
        "--save_interval_secs", type=flags.non_negative_float, default=600, help="Seconds between saves."
    )
    loop.add_argument(
        "--keep_checkpoint_max", type=flags.positive_int, default=5, help="Checkpoints kept (newest)."
    )


def _add_optimization_flags(g) -> None:
    defaults = OptimizerSettings()
    g.add_argument("--optimizer", choices=run_config.OPTIMIZERS)
    g.add_argument("--learning_rate", type=flags.non_negative_float)
    g.add_argument(
        "--pretrained_rate_multiplier",
        type=flags.non_negative_float,
        help="Scales the learning rate of the layers that start from weights (--checkpoint_path, "
        "--pretrained); new layers (excluded scopes, --pretrained's logits) train at --learning_rate "
        "(benchmarks/fine_tuning.py compares).",
    )
    g.add_argument("--learning_rate_decay_type", choices=run_config.DECAY_TYPES)
    g.add_argument("--learning_rate_decay_factor", type=flags.positive_float, help="For exponential decay.")
    g.add_argument(
        "--num_epochs_per_decay", type=flags.positive_float, help="Epochs per decay step or period."
    )
    g.add_argument(
        "--end_learning_rate", type=flags.non_negative_float, help="For polynomial and cosine decay."
    )
    g.add_argument(
        "--warmup_epochs", type=flags.non_negative_float, help="Linear warm-up before the schedule."
    )
    g.add_argument("--momentum", type=flags.non_negative_float, help="For momentum and rmsprop.")
    for name in ("rmsprop_decay", "adam_beta1", "adam_beta2", "adadelta_rho"):
        g.add_argument(f"--{name}", type=flags.fraction)
    g.add_argument("--adamw_weight_decay", type=flags.non_negative_float, help="AdamW's decoupled decay.")
    for name in ("adagrad_initial_accumulator_value", "ftrl_initial_accumulator_value", "ftrl_l1", "ftrl_l2"):
        g.add_argument(f"--{name}", type=flags.non_negative_float)
    g.add_argument("--ftrl_learning_rate_power", type=flags.finite_float)
    g.add_argument("--opt_epsilon", type=flags.positive_float, help="For rmsprop, adam, adamw, adadelta.")
    g.add_argument(
        "--clip_gradient_norm",
        type=flags.non_negative_float,
        help="Clip gradients to this global norm (0: off).",
    )
    g.add_argument(
        "--moving_average_decay",
        type=flags.fraction,
        help="Keep a moving average of the weights with this decay; eval, infer and export use it.",
    )
    for action in g._group_actions:
        name = action.dest
        if hasattr(defaults, name) and action.help is not None:
            action.help += f" Default: the net's recipe, else {getattr(defaults, name)}."
        elif hasattr(defaults, name):
            action.help = f"Default: the net's recipe, else {getattr(defaults, name)}."


def parse(doc: str, argv: list[str] | None) -> argparse.Namespace:
    p = flags.make_parser(doc)
    add_flags(p)
    args = flags.parse(p, argv, record_flags=flag_values)
    if args.train_dir is None:
        args.train_dir = os.path.join("checkpoints", f"{args.dataset_name}_{args.model_name}")
    return args


def flag_values(record: dict) -> dict:
    """The flag values that run a recorded run (``<train_dir>/train_config.json``) again."""
    if isinstance(record.get("flags"), dict):  # the first record format kept the flags as given
        return {k: v for k, v in record["flags"].items() if k not in ("config", "flagfile")}
    values = {k: v for k, v in record.items() if not isinstance(v, dict)}
    for section in (*run_config.SECTIONS, "task_options"):
        values.update(record.get(section, {}))
    values["train_image_size"] = values.pop("image_size", None)
    derived = ("format", "task", "num_classes", "labels_to_names", "image_shape")
    return {k: v for k, v in values.items() if k not in derived}


def settings(args: argparse.Namespace, split: DatasetSplit) -> RunConfig:
    """The run record of these flags on this dataset split (recipe defaults filled in).

    Raises:
      UserError: the net does another task than the dataset.
    """
    spec = nets_factory.get_net_spec(args.model_name)
    if spec.task != split.task:
        same = ", ".join(n for n, s in nets_factory.networks_map().items() if s.task == split.task)
        raise UserError(
            f"net {args.model_name!r} does {spec.task} but dataset {args.dataset_name!r} "
            f"is {split.task}; pick a {split.task} net (known nets: {same})."
        )
    task = tasks_factory.get_task(split.task)

    def pick(name, default, recipe=spec.recipe):
        given = getattr(args, name)
        return given if given is not None else recipe.get(name, default)

    # The recipe's optimizer settings belong to its optimizer: another --optimizer starts from its own
    # defaults (RMSProp's epsilon of 1.0 would all but stop Adam).
    same = args.optimizer in (None, spec.recipe.get("optimizer"))
    optimizer_recipe = spec.recipe if same else {}
    optimizer = OptimizerSettings(
        **{f.name: pick(f.name, f.default, optimizer_recipe) for f in dataclasses.fields(OptimizerSettings)}
    )
    task_options = {
        **task.option_defaults(),
        **{k: v for k, v in flags.task_overrides(args).items() if k in task.option_defaults()},
    }
    offset = task_options.get("labels_offset", 0)  # TF-Slim's: the dataset's labels less this
    if not 0 <= offset < split.num_classes:
        raise UserError(f"--labels_offset={offset}: give 0 up to {split.num_classes - 1}, below its classes")
    sections = {
        name: section(**{f.name: getattr(args, f.name) for f in dataclasses.fields(section)})
        for name, section in run_config.SECTIONS.items()
        if name != "optimizer"
    }
    return RunConfig(
        model_name=args.model_name,
        dataset_name=args.dataset_name,
        dataset_dir=flags.absolute(args.dataset_dir),
        dataset_split_name=args.dataset_split_name,
        task=split.task,
        num_classes=split.num_classes - offset,
        labels_to_names={k - offset: v for k, v in split.labels_to_names.items() if k >= offset},
        image_shape=tuple(split.image_shape),
        image_size=args.train_image_size or spec.default_image_size,
        preprocessing_name=args.preprocessing_name or spec.default_preprocessing,
        weight_decay=pick("weight_decay", 0.00004),
        batch_norm_decay=pick("batch_norm_decay", None),
        moving_average_decay=pick("moving_average_decay", None),
        mixed_precision=args.mixed_precision,
        pretrained=args.pretrained,
        seed=args.seed,
        batch_size=args.batch_size,
        trainable_scopes=args.trainable_scopes,
        random_flip=split.mirror_invariant if args.random_flip is None else args.random_flip,
        task_options=task_options,
        optimizer=optimizer,
        **sections,
    )
