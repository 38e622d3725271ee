"""Starting a new run from another run's checkpoint (TF-Slim's --checkpoint_path and friends).

Variables are matched by their path inside the net (``conv1/kernel``,
``Logits/bias``), not by the net's name, so a 10-class LeNet checkpoint can
start a 5-class LeNet once ``Logits`` is excluded. A TF-Slim checkpoint (the
model zoo's) is read by TF-Slim's names (``nets/slim_checkpoint.py``). Scopes
are given either way: this project's (``Logits``, ``LeNet/Logits``) or
TF-Slim's (``LeNet/fc4``, ``CifarNet/logits``) for nets that have them.
"""

from __future__ import annotations

import re

from tensorflow import keras

from deployment import assembly, checkpointing
from nets import nets_factory, slim_checkpoint


def key(variable) -> str:
    """The variable's path without the net's own name: ``LeNet/conv1/kernel`` -> ``conv1/kernel``."""
    return variable.path.split("/", 1)[-1]


def slim_aliases(net: keras.Model, model_name: str) -> dict[int, str]:
    """id(variable) -> its TF-Slim name, for nets with TF-Slim's scopes (else empty)."""
    scope = nets_factory.get_net_spec(model_name).slim_scope
    if not scope:
        return {}
    return {id(v): name for name, v in slim_checkpoint.slim_names(net, scope).items()}


def in_scopes(variable, scopes: list[str], aliases: dict[int, str] | None = None) -> bool:
    """Whether the variable's path (with or without the net's name) or TF-Slim name starts with a scope."""
    paths = (key(variable), variable.path, (aliases or {}).get(id(variable), ""))
    return any(path and path.startswith(scope) for scope in scopes for path in paths)


def parse_scopes(text: str | None) -> list[str]:
    return [scope.strip() for scope in (text or "").split(",") if scope.strip()]


def warm_start(
    net: keras.Model,
    model_name: str,
    checkpoint_path: str,
    exclude_scopes: list[str],
    ignore_missing_vars: bool,
) -> int:
    """Copies matching weights from a checkpoint into ``net``; returns how many were copied.

    Raises:
      checkpointing.CheckpointError: shapes differ for variables that are not
        excluded (the message lists them and the flag that fixes it), or
        variables are missing without --ignore_missing_vars.
      slim_checkpoint.SlimCheckpointError: the same for a TF-Slim checkpoint,
        or it holds another net.
    """
    path = checkpointing.resolve_checkpoint(checkpoint_path)
    aliases = slim_aliases(net, model_name)
    if slim_checkpoint.is_slim_checkpoint(path):
        return slim_checkpoint.load(
            net, path, model_name, lambda v: in_scopes(v, exclude_scopes, aliases), ignore_missing_vars
        )
    source_config = checkpointing.read_config(path)
    source = assembly.build_net(source_config)
    checkpointing.restore(
        checkpointing.weights_checkpoint(source, source_config), path, source_config, partial=True
    )
    available = {key(v): v for v in source.weights}
    mismatched, missing, copied = [], [], 0
    for variable in net.weights:
        if in_scopes(variable, exclude_scopes, aliases):
            continue
        match = available.get(key(variable))
        if match is None:
            missing.append(key(variable))
        elif tuple(match.shape) != tuple(variable.shape):
            mismatched.append(
                f"{key(variable)}: checkpoint {tuple(match.shape)}, net {tuple(variable.shape)}"
            )
        else:
            variable.assign(match)
            copied += 1
    if mismatched:
        # The layer of each variable, numbered layers as one scope: heads/class_head_0..5 -> heads/class_head.
        scopes = sorted({re.sub(r"_\d+$", "", line.split(":")[0].rsplit("/", 1)[0]) for line in mismatched})
        raise checkpointing.CheckpointError(
            f"{path} does not fit the net: shapes differ for {'; '.join(mismatched)}. Pass "
            f"--checkpoint_exclude_scopes={','.join(scopes)} to start those from scratch "
            "(e.g. the logits when the number of classes differs)."
        )
    if missing and not ignore_missing_vars:
        raise checkpointing.CheckpointError(
            f"{path} lacks {len(missing)} variable(s) of the net ({', '.join(missing[:5])}"
            f"{', ...' if len(missing) > 5 else ''}); pass --ignore_missing_vars to start them from scratch."
        )
    return copied


def trainable_variables(net: keras.Model, model_name: str, trainable_scopes: str | None) -> list:
    """The net's variables that training updates: all, or those under ``trainable_scopes``.

    Raises:
      checkpointing.CheckpointError: the scopes match no variable (the message
        shows how variables are named).
    """
    scopes = parse_scopes(trainable_scopes)
    aliases = slim_aliases(net, model_name)
    chosen = [v for v in net.trainable_variables if not scopes or in_scopes(v, scopes, aliases)]
    if not chosen:
        raise checkpointing.CheckpointError(
            f"--trainable_scopes={trainable_scopes} matches no variable; they are named like "
            f"{', '.join(key(v) for v in net.trainable_variables[:4])}, ..."
            + (f" (or TF-Slim's {', '.join(list(aliases.values())[:2])}, ...)" if aliases else "")
        )
    return chosen


def _new_scopes(config) -> list[str]:
    """The layers a run from weights starts anew: excluded scopes and, with --pretrained alone, the logits.

    A checkpoint brings logits even where --pretrained's Keras file has none
    (a second stage, after a first that trained the head alone on them).
    """
    excluded = parse_scopes(config.warm_start.checkpoint_exclude_scopes)
    return excluded + ["Logits"] if config.pretrained and not config.warm_start.checkpoint_path else excluded


def pretrained_variables(net: keras.Model, config, train_vars: list) -> list:
    """The trainable variables a run starts with from weights: all but the new layers (none from scratch)."""
    if not (config.warm_start.checkpoint_path or config.pretrained):
        return []
    aliases = slim_aliases(net, config.model_name)
    return [v for v in train_vars if not in_scopes(v, _new_scopes(config), aliases)]


def start_new_logits(net: keras.Model, config) -> None:
    """With --new_logits=zeros, new logits of a run from weights start at zero (BiT's head).

    A random head's first gradients carry its noise into the layers that came
    with the weights; from zero, their first updates follow the labels alone
    (benchmarks/fine_tuning.py measures the difference). Logits left out of
    --trainable_scopes keep their random start: at zero they would stay there.
    """
    if config.warm_start.new_logits == "zeros" and (config.warm_start.checkpoint_path or config.pretrained):
        aliases, new = slim_aliases(net, config.model_name), _new_scopes(config)
        trained = parse_scopes(config.trainable_scopes) or [""]  # frozen logits keep their random start
        for v in net.weights:
            if key(v).startswith("Logits/") and in_scopes(v, new, aliases) and in_scopes(v, trained, aliases):
                v.assign(keras.ops.zeros_like(v))
