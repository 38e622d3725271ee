"""Maps net names to their records: every ``NETS`` of the modules in ``nets/``.

To add a net, write ``nets/<name>.py`` with a ``keras.Model`` whose call
returns ``(outputs, end_points)`` and a ``NETS = {"<name>": NetSpec(...)}``
record (``nets/net_spec.py``); nothing else needs editing.
"""

from __future__ import annotations

import functools

from tensorflow import keras

import nets
from errors import UserError
from nets.net_spec import NetSpec
from registry import declared_keys, discover

# The template's answer this project was rendered with ("essentials", or "tf_slim_zoo" for TF-Slim's
# whole zoo), and so where a net a user asks for by TF-Slim's name comes from.
NETS_ANSWER = "{{ cookiecutter.nets }}"
OTHER_NETS = (
    ""
    if NETS_ANSWER == "tf_slim_zoo"
    else (
        "TF-Slim's other nets come with the template's answer nets=tf_slim_zoo (render the project again "
        "with that answer)"
    )
)


@functools.cache
def networks_map() -> dict[str, NetSpec]:
    """Net name -> its record, from every module of this package that defines ``NETS``."""
    found: dict[str, NetSpec] = {}
    for module in discover(nets, "NETS"):
        for name, spec in module.NETS.items():
            if name in found:
                raise ValueError(f"net {name!r} is declared twice (the second time in {module.__name__})")
            found[name] = spec
    return dict(sorted(found.items()))


def net_names() -> list[str]:
    """The nets' names, sorted: while the nets are not imported, read from their modules' source where it
    declares them plainly, so that train.py's --help lists them without TensorFlow; else networks_map's."""
    declared = None if networks_map.cache_info().currsize else declared_keys(nets, "NETS")
    return sorted(declared) if declared is not None else list(networks_map())


def get_net_spec(name: str) -> NetSpec:
    """Returns the record of net ``name``.

    Raises:
      UserError: ``name`` is unknown; the message lists the known names.
    """
    if name not in networks_map():
        other = f"; {OTHER_NETS}." if OTHER_NETS else "."
        raise UserError(f"unknown net {name!r}; known nets: {', '.join(networks_map())}{other}")
    return networks_map()[name]


def get_network(name: str, num_classes: int, weight_decay: float = 0.0, **options) -> keras.Model:
    """Builds net ``name`` (its variables are created on its first call).

    Args:
      name: A key of ``networks_map()``.
      num_classes: Logits per example; 0 returns the features before them.
      weight_decay: L2 coefficient on the weights (TF-Slim's semantics).
      **options: Passed to the builder, e.g. ``weights="imagenet"`` for the
        keras.applications nets.

    Raises:
      UserError: unknown name, or an option the net does not take.
    """
    builder = get_net_spec(name).builder
    try:
        return builder(num_classes=num_classes, weight_decay=weight_decay, **options)
    except TypeError as e:
        raise UserError(f"net {name!r} does not take {', '.join(options)}: {e}") from e
