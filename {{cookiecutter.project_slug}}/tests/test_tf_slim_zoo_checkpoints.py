"""The zoo's TF-Slim nets: TF-Slim's checkpoints of them compute what TF-Slim computed (AlexNet in the default
run; the VGGs, 130-140 M weights each at TF-Slim's 224 pixels, under `pytest -m slow`)."""

import pytest
from test_slim_checkpoints import REFERENCE, load_and_compare

from nets import nets_factory

ZOO = {
    "alexnet_v2": ("alexnet.alexnet_v2", 224, 1000, "v1"),
    "vgg_a": ("vgg.vgg_a", 224, 1000, "v2"),
    "vgg_16": ("vgg.vgg_16", 224, 1000, "v1"),
    "vgg_19": ("vgg.vgg_19", 224, 1000, "v2"),
}
SLOW = {"vgg_a", "vgg_16", "vgg_19"}


def test_every_net_with_a_tf_slim_scope_is_compared_with_tf_slim():
    ours = {n for n, s in nets_factory.networks_map().items() if s.slim_scope}
    assert ours == set(REFERENCE) | set(ZOO)


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] * (n in SLOW)) for n in ZOO])
def test_a_tf_slim_checkpoint_computes_what_tf_slim_computed(slim_references, name):
    folder = slim_references({name: ZOO[name]})
    assert load_and_compare(folder, name, ZOO[name][2]) <= 1e-4
