"""TF-Slim's checkpoints (the model zoo's ``.ckpt`` files): read by variable name into this project's nets.

TF-Slim saved variables by name (``LeNet/conv1/weights``,
``LeNet/fc4/biases``) with TF1's name-based saver, in the V1 format
(one ``.ckpt`` file) or V2 (``.ckpt.index`` and ``.ckpt.data-*``). A net whose
record has a ``slim_scope`` names each of its layers' TF-Slim scope
(``slim_layers()``); every variable is then read from
``<slim_scope>/<layer scope>/<weights|biases|gamma|...>``, reshaped where
TF-Slim's 1x1 convolutions are this project's dense layers.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from tensorflow import keras

from errors import UserError
from nets import nets_factory

# Keras attribute -> TF-Slim's variable name inside the layer's scope.
LEAVES = {
    "kernel": "weights",  # a depthwise convolution's: "depthwise_weights"
    "bias": "biases",
    "gamma": "gamma",
    "beta": "beta",
    "moving_mean": "moving_mean",
    "moving_variance": "moving_variance",
}
# Not weights of the net: the step counter and optimizer slots TF-Slim's training saved beside them.
NOT_WEIGHTS = ("global_step", "/Momentum", "/RMSProp", "/Adam", "/ExponentialMovingAverage", "/Adagrad")


class SlimCheckpointError(UserError):
    """A TF-Slim checkpoint that does not fit the net."""


def is_slim_checkpoint(path: str) -> bool:
    """Whether ``path`` (a resolved prefix or V1 file) is a name-based checkpoint (TF-Slim's, TF1's)."""
    try:
        names = tf.train.load_checkpoint(path).get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError):
        return False
    return "_CHECKPOINTABLE_OBJECT_GRAPH" not in names


def weights_in(path: str) -> dict[str, tuple[int, ...]]:
    """The net's variables a name-based checkpoint holds, by name (no step counter or optimizer slots)."""
    shapes = tf.train.load_checkpoint(path).get_variable_to_shape_map()
    return {n: tuple(s) for n, s in shapes.items() if not any(part in n for part in NOT_WEIGHTS)}


def slim_names(net: keras.Model, slim_scope: str) -> dict[str, tf.Variable]:
    """TF-Slim's name of each of the net's variables (``LeNet/fc4/weights`` -> the Logits kernel)."""
    names = {}
    for scope, layer in net.slim_layers().items():
        if layer is None:  # e.g. no logits: the net returns features
            continue
        for attribute, leaf in LEAVES.items():
            variable = getattr(layer, attribute, None)
            if isinstance(layer, keras.layers.DepthwiseConv2D) and attribute == "kernel":
                leaf = "depthwise_weights"
            if isinstance(variable, tf.Variable | keras.Variable):
                names[f"{slim_scope}/{scope}/{leaf}"] = variable
    return names


def _slim_nets() -> dict[str, str]:
    """TF-Slim scope -> this project's net name, for every net whose record has one."""
    return {s.slim_scope: n for n, s in nets_factory.networks_map().items() if s.slim_scope}


def what_it_holds(held: dict) -> str:
    """What a checkpoint looks like: the net whose TF-Slim scope its variables are under, if one is known."""
    tops = sorted({name.split("/", 1)[0] for name in held})
    nets = [_slim_nets()[t] for t in tops if t in _slim_nets()]
    if nets:
        return f"it holds TF-Slim's {tops[0]} variables: pass --model_name={nets[0]}"
    known = ", ".join(sorted(_slim_nets().values()))
    return (
        f"its variables are under {', '.join(tops[:5]) or 'no scope'}, which is no net of this project "
        f"(TF-Slim checkpoints load into {known})"
    )


def identify(path: str) -> tuple[str, int, int]:
    """The net a TF-Slim checkpoint holds, its number of classes (0: no logits) and its input channels.

    Raises:
      SlimCheckpointError: its variables are no net's of this project.
    """
    held = weights_in(path)
    known = _slim_nets()
    scopes = sorted({n.split("/", 1)[0] for n in held} & set(known))
    if not scopes:
        raise SlimCheckpointError(f"{path} is a TF-Slim (name-based) checkpoint, but {what_it_holds(held)}.")
    name = known[scopes[0]]
    probe = nets_factory.get_network(name, num_classes=1)  # not built: only its layers' scopes are read
    layers = probe.slim_layers()
    logits = next(scope for scope, layer in layers.items() if layer is probe.logits)
    biases = held.get(f"{scopes[0]}/{logits}/biases")
    # Its first convolution's input channels (3 when the net's layers are not known before it is built).
    first = next((scope for scope, layer in layers.items() if layer is not probe.logits), None)
    kernel = held.get(f"{scopes[0]}/{first}/weights", (3, 3))
    return name, int(biases[-1]) if biases else 0, int(kernel[-2])


def load(net: keras.Model, path: str, model_name: str, excluded, ignore_missing_vars: bool = False) -> int:
    """Copies a TF-Slim checkpoint's weights into ``net``; returns how many variables were copied.

    Args:
      net: A built net.
      path: The checkpoint (prefix or V1 file).
      model_name: The net's name; its record's ``slim_scope`` says where its variables are.
      excluded: ``excluded(variable)`` is true for variables to leave as they are.
      ignore_missing_vars: Leave variables the checkpoint lacks as they are.

    Raises:
      SlimCheckpointError: the checkpoint holds another net, shapes differ, or
        variables are missing (each message says which flag fixes it).
    """
    slim_scope = nets_factory.get_net_spec(model_name).slim_scope
    held = weights_in(path)
    if slim_scope is None:
        raise SlimCheckpointError(
            f"{path} is a TF-Slim (name-based) checkpoint, and net {model_name!r} is not TF-Slim's "
            f"architecture; {what_it_holds(held)}."
        )
    reader = tf.train.load_checkpoint(path)
    wanted = {n: v for n, v in slim_names(net, slim_scope).items() if not excluded(v)}
    if held and not any(n.startswith(slim_scope + "/") for n in held):
        raise SlimCheckpointError(f"{path} is not a TF-Slim {slim_scope} checkpoint: {what_it_holds(held)}.")
    mismatched = [
        f"{n}: checkpoint {held[n]}, net {tuple(v.shape)}"
        for n, v in wanted.items()
        if n in held and np.prod(held[n]) != np.prod(v.shape)
    ]
    if mismatched:
        scopes = sorted({line.split(":")[0].rsplit("/", 1)[0] for line in mismatched})
        raise SlimCheckpointError(
            f"{path} does not fit the net: shapes differ for {'; '.join(mismatched)}. Pass "
            f"--checkpoint_exclude_scopes={','.join(scopes)} to start those from scratch "
            "(e.g. the logits when the number of classes differs), or check --train_image_size "
            "(TF-Slim's fc6 needs its 224 pixels)."
        )
    missing = [n for n in wanted if n not in held]
    if missing and not ignore_missing_vars:
        raise SlimCheckpointError(
            f"{path} lacks {len(missing)} variable(s) of the net ({', '.join(missing[:5])}"
            f"{', ...' if len(missing) > 5 else ''}); pass --ignore_missing_vars to start them from scratch."
        )
    copied = 0
    for name, variable in wanted.items():
        if name in held:
            variable.assign(np.reshape(reader.get_tensor(name), variable.shape))
            copied += 1
    return copied
