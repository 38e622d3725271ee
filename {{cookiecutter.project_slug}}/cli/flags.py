"""Flags shared by the entry points, value checks at parse time, and config files.

Every entry point builds its parser with ``make_parser`` and parses with
``parse``, which adds two ways to give flags from a file (the command line
overrides both):

* ``--config=FILE``: a YAML or JSON mapping of flag names to values, e.g. a
  file from ``experiments/``, or the ``train_config.json`` a run wrote
  (``train.py --config=<train_dir>/train_config.json --train_dir=NEW`` runs
  it again). Unknown names are refused by name.
* ``--flagfile=FILE``: ``--name=value`` lines, as absl's flagfiles.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import sys
from collections.abc import Callable

import tensorflow as tf
import yaml

from tasks import tasks_factory

# Flags of TF-Slim's scripts that only tuned TF1's machinery (and absl's logging flags: those scripts
# were absl apps): accepted with a one-line note of what does their job now, so a habit stops no run.
TUNING_ONLY = {
    "--num_readers": "shards are read in parallel without it (tf.data)",
    "--num_preprocessing_threads": "preprocessing runs on tf.data's threads, as many as help (AUTOTUNE)",
    "--save_summaries_secs": "summaries are written at every --log_every_n_steps",
    **dict.fromkeys(
        "--alsologtostderr --noalsologtostderr --logtostderr --nologtostderr --log_dir --v --verbosity "
        "--stderrthreshold".split(),
        "messages go to the terminal as they are (errors on stderr); TensorFlow's own C++ logs follow "
        "TF_CPP_MIN_LOG_LEVEL",
    ),
}
SWITCHES = {"--alsologtostderr", "--noalsologtostderr", "--logtostderr", "--nologtostderr"}  # take no value
# TF-Slim's flags whose meaning cannot be kept here: refused, with what does their job instead.
GONE = {
    "--rmsprop_momentum": "--momentum is RMSProp's momentum too",
    "--eval_image_size": "eval.py takes the size (and preprocessing) the checkpoint was trained with",
    **dict.fromkeys(
        "--master --task --num_ps_tasks --worker_replicas --sync_replicas --replicas_to_aggregate".split(),
        "workers come from TF_CONFIG (TPUs: --tpu) and train synchronously, without parameter servers "
        "(MultiWorkerMirroredStrategy; the README's section on several machines)",
    ),
}


# Where eval.py looks when no split is named: TF-Slim's test split, else what a conversion of your own
# images holds out (class folders make train and validation only).
HELD_OUT = ("test", "validation", "val")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The docstring as written; each flag's default where its help does not say it already."""

    def _get_help_string(self, action):
        none = any(action.default is v for v in (None, False, argparse.SUPPRESS))
        said = none or "default" in action.help.lower()
        return action.help if said else f"{action.help} Default: %(default)s."


class Parser(argparse.ArgumentParser):
    """No abbreviations (``--log_every`` is not ``--log_every_n_steps``); an unknown flag gets the
    nearest known one as a suggestion, or what replaced TF-Slim's; an error is one line, not the usage."""

    def __init__(self, **kwargs):
        super().__init__(allow_abbrev=False, **kwargs)
        self.choice_hints: dict[str, str] = {}  # flag -> what to add when its value is no choice

    def error(self, message: str):
        if message.startswith("unrecognized arguments: "):
            known = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
            given = [w.split("=")[0] for w in message.split(": ", 1)[1].split() if w.startswith("--")]
            close = {w: difflib.get_close_matches(w, known, 1, 0.7) for w in given if w not in GONE}
            hints = [f"{w} -> {m[0]}" for w, m in close.items() if m]
            message += f" (did you mean: {', '.join(hints)}?)" if hints else ""
            message += "".join(f"; {w} is TF-Slim's: {GONE[w]}" for w in given if w in GONE)
        for flag, hint in self.choice_hints.items():
            if hint and message.startswith(f"argument {flag}: invalid choice"):
                message += f"; {hint}"
        self.exit(2, f"{self.prog}: error: {message} ({self.prog} --help lists the flags)\n")


def make_parser(doc: str) -> Parser:
    p = Parser(description=doc, formatter_class=HelpFormatter)
    p.add_argument("--config", help="A YAML or JSON file of flag values (flags given here win).")
    p.add_argument("--flagfile", help="A file of --name=value lines (flags given here win).")
    return p


def parse(
    parser: argparse.ArgumentParser,
    argv: list[str] | None,
    record_flags: Callable[[dict], dict] | None = None,
) -> argparse.Namespace:
    """Parses ``argv`` (default: the command line) after the values of --config and --flagfile.

    ``record_flags`` turns a run record given as --config (``train_config.json``)
    into the flag values that run it again.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    argv = _without_tuning_flags(parser.prog, _expand_flagfiles(parser, argv))
    for action in [a for a in parser._actions if isinstance(a, argparse._StoreTrueAction)]:
        # absl's ways to give a switch too, --flag=true|false and --noflag (the last word on it wins). (So
        # a parser with positional arguments takes no switch: `--flag photo.jpg` would read a value.)
        action.__class__, action.nargs, action.type = argparse._StoreAction, "?", boolean
        action.metavar = "true|false"
        parser.add_argument(f"--no{action.option_strings[0][2:]}", dest=action.dest, action="store_false",
                            default=action.default, help=argparse.SUPPRESS)  # fmt: skip
    early = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    early.add_argument("--config")
    config_path = early.parse_known_args(argv)[0].config
    if config_path:
        parser.set_defaults(**_config_defaults(parser, config_path, record_flags))
    return parser.parse_args(argv)


def _without_tuning_flags(prog: str, argv: list[str]) -> list[str]:
    """``argv`` without the flags of ``TUNING_ONLY`` (and their values), each noted once on stderr."""
    kept, skip_value = [], False
    for arg in argv:
        name = arg.split("=", 1)[0]
        if skip_value and not arg.startswith("-"):
            skip_value = False
            continue
        skip_value = False
        if name in TUNING_ONLY:
            _note_ignored(prog, name)
            skip_value = "=" not in arg and name not in SWITCHES
            continue
        kept.append(arg)
    return kept


def _note_ignored(prog: str, flag: str) -> None:
    print(f"{prog}: note: {flag} is ignored: {TUNING_ONLY[flag]}.", file=sys.stderr)


def _expand_flagfiles(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Replaces each ``--flagfile=FILE`` with the flags in FILE (later flags override earlier)."""
    expanded = []
    for i, arg in enumerate(argv):
        if arg.startswith("--flagfile="):
            path = arg.split("=", 1)[1]
        elif arg == "--flagfile" and i + 1 < len(argv):
            path = argv[i + 1]
        elif i > 0 and argv[i - 1] == "--flagfile":
            continue
        else:
            expanded.append(arg)
            continue
        lines = _read(parser, path).splitlines()
        expanded += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return expanded


def _read(parser: argparse.ArgumentParser, path: str) -> str:
    if not tf.io.gfile.exists(path):
        parser.error(f"config file {path} not found")
    with tf.io.gfile.GFile(path) as f:
        return f.read()


def _config_defaults(parser: argparse.ArgumentParser, path: str, record_flags=None) -> dict:
    """The flag values in a YAML/JSON file, checked and converted as the command line would be."""
    try:
        values = yaml.safe_load(_read(parser, path))
    except yaml.YAMLError as e:
        parser.error(f"{path} is not YAML or JSON: {e}")
    if not isinstance(values, dict):
        parser.error(f"{path} must hold a mapping of flag names to values")
    actions = {a.dest: a for a in parser._actions if a.dest not in ("help", "config", "flagfile")}
    if record_flags and str(values.get("format", "")).startswith("slim-template run record"):
        values = record_flags(values)  # a run record written by train.py: run it again
    for name in [n for n in values if f"--{n}" in TUNING_ONLY]:
        _note_ignored(f"{parser.prog}: {path}", f"--{name}")
        del values[name]
    unknown = sorted(set(values) - set(actions))
    if unknown:
        hints = [
            f"{k} (TF-Slim's: {GONE[f'--{k}']})" if f"--{k}" in GONE
            else f"{k} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(k, actions, 1))
            else k
            for k in unknown
        ]  # fmt: skip
        parser.error(f"{path}: unknown flag(s) {', '.join(hints)}")
    return {name: _convert(parser, actions[name], value, path) for name, value in values.items()}


def _convert(parser: argparse.ArgumentParser, action: argparse.Action, value, path: str):
    name = f"{path}: {action.dest}"
    if value is None:
        return None
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        if not isinstance(value, bool):
            parser.error(f"{name} must be true or false, got {value!r}")
        return value
    if action.nargs in ("+", "*"):
        values = value if isinstance(value, list) else [value]
        return [_convert_one(parser, action, v, name) for v in values]
    return _convert_one(parser, action, value, name)


def _convert_one(parser, action, value, name):
    if isinstance(value, dict | list) and action.type is not None:
        parser.error(f"{name}: {value!r} is not a valid value")
    try:
        converted = action.type(value if isinstance(value, str) else str(value)) if action.type else value
    except (argparse.ArgumentTypeError, ValueError, TypeError) as e:
        parser.error(f"{name}: {e}")
    if action.choices is not None and converted not in action.choices:
        parser.error(f"{name}: {converted!r} is not one of {', '.join(map(str, action.choices))}")
    return converted


# --- Value checks: a bad value is refused before TensorFlow does any work ----------


def boolean(text: str) -> bool:
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def absolute(path: str | None) -> str | None:
    """A local path made absolute; a file-system URL (gs://, ram://, a plugin's) as it is."""
    if path is None or "://" in path:
        return path
    return os.path.abspath(path)


def positive_int(text: str) -> int:
    return _checked(int, text, lambda v: v > 0, "a positive integer")


def non_negative_int(text: str) -> int:
    return _checked(int, text, lambda v: v >= 0, "an integer >= 0")


def positive_float(text: str) -> float:
    return _checked(float, text, lambda v: math.isfinite(v) and v > 0, "a positive number")


def non_negative_float(text: str) -> float:
    return _checked(float, text, lambda v: math.isfinite(v) and v >= 0, "a finite number >= 0")


def finite_float(text: str) -> float:
    return _checked(float, text, math.isfinite, "a finite number")


def fraction(text: str) -> float:
    return _checked(float, text, lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]")


def _checked(kind, text: str, ok, what: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


# --- Flag groups shared by the entry points --------------------------------------------


def add_dataset_flags(p: argparse.ArgumentParser, split: str | None, from_checkpoint: bool = False) -> None:
    """--dataset_name, --dataset_split_name, --dataset_dir, in a group of their own (split None: the
    first held-out split the dataset has, ``HELD_OUT``)."""
    p = p.add_argument_group("dataset")
    known = "a registered dataset or the name of images converted into --dataset_dir"
    p.add_argument(
        "--dataset_name",
        default=None if from_checkpoint else "mnist",
        help=f"Default: the checkpoint's ({known})." if from_checkpoint else f"{known.capitalize()}.",
    )
    held_out = f"{', else '.join(HELD_OUT)}, the first the dataset has"
    p.add_argument("--dataset_split_name", default=split, help=f"Default: {split or held_out}.")
    p.add_argument(
        "--dataset_dir",
        help="The converted dataset" + (" (default: the one training used)." if from_checkpoint else "."),
    )


def add_checkpoint_flag(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument(
        "--checkpoint_path",
        required=required,
        help="A checkpoint file prefix (ckpt-N), or a directory: its latest checkpoint "
        "(<train_dir>/best for the best one).",
    )


def add_batch_size_flag(p: argparse.ArgumentParser, default: int, help: str = "Examples per batch.") -> None:
    p.add_argument("--batch_size", type=positive_int, default=default, help=help)


def add_device_flags(p: argparse.ArgumentParser) -> None:
    p = p.add_argument_group("devices")
    p.add_argument(
        "--num_clones",
        type=positive_int,
        default=1,
        help="Model copies on this machine, one per GPU (with --clone_on_cpu: logical CPU devices).",
    )
    p.add_argument("--clone_on_cpu", action="store_true", help="Put the clones on CPU devices.")
    p.add_argument("--tpu", help="Train on this TPU (name or address; 'local' on a TPU VM).")


def add_task_flags(p: argparse.ArgumentParser, serving_only: bool = False) -> None:
    """Every registered task's own settings, one group per task.

    With ``serving_only``, only those that eval, infer and export may change;
    their default there is the checkpoint's value.
    """
    for task in tasks_factory.tasks_map().values():
        options = [o for o in task.options if o.at_serving or not serving_only]
        if not options:
            continue
        group = p.add_argument_group(f"{task.name} settings")
        for option in options:
            group.add_argument(
                f"--{option.name}",
                type=option.type,
                help=f"{option.help} Default: "
                + ("the checkpoint's." if serving_only else f"{option.default}."),
            )


def add_answer_flags(p: argparse.ArgumentParser) -> None:
    """infer.py's flags of every task on how it prints and draws an answer, one group per task."""
    for task in tasks_factory.tasks_map().values():
        if task.answer_options:
            group = p.add_argument_group(f"{task.name} answers")
            for option in task.answer_options:
                group.add_argument(
                    f"--{option.name}", type=option.type, default=option.default,
                    help=f"{option.help} Default: {option.default}."
                )  # fmt: skip


def answer_settings(args: argparse.Namespace) -> dict:
    """The values of every task's answer flags."""
    names = {o.name for t in tasks_factory.tasks_map().values() for o in t.answer_options}
    return {name: getattr(args, name) for name in names}


def task_overrides(args: argparse.Namespace) -> dict:
    """The task settings given on the command line (None: not given)."""
    names = {o.name for t in tasks_factory.tasks_map().values() for o in t.options}
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
