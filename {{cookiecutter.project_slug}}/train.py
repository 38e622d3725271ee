"""Trains a net on a dataset split: TF-Slim's train_image_classifier.py in TF2.

    python train.py --dataset_name=mnist --dataset_dir=/tmp/mnist --model_name=lenet \\
        --train_dir=checkpoints/lenet --max_number_of_steps=1000

Training resumes by itself from the latest checkpoint in --train_dir: the step,
the optimizer state, the input position and every random state carry on, so
running again with a larger --max_number_of_steps continues where the last
run stopped, exactly as if it had never stopped. Which settings a resumed run
may change, and which it keeps (refused with how to start a new run from the
checkpoint instead), is listed in ``deployment/run_config.py``
(``FIXED_ON_RESUME``, ``CHANGEABLE_ON_RESUME``) and in the README.

SIGTERM (a cluster's eviction, ``timeout``) and Ctrl-C save a checkpoint and
exit (143 and 130). A non-finite loss stops training without saving it. One
trainer at a time holds --train_dir (``.train.lock``).

On several machines, run the same command on each with its TF_CONFIG (see the
README); only the chief writes into --train_dir, and a restarted job resumes
from its last checkpoint.
"""

from __future__ import annotations

import argparse
import sys

from cli import runner

import train_flags
from datasets import dataset_factory
from deployment import assembly, model_deploy
from deployment.run_config import DeploymentConfig, RunConfig


def main(argv: list[str] | None = None) -> int:
    return runner.run(train, train_flags.parse(__doc__, argv))


def train(args: argparse.Namespace) -> int:
    # The loop's modules define Keras classes as they load, which needs TensorFlow: imported once the
    # flags are parsed, so that --help and a refused flag answer at once.
    from training.trainer import Trainer

    # Device placement first: splitting the CPU must happen before any TF op.
    strategy = model_deploy.create_strategy(DeploymentConfig(args.num_clones, args.clone_on_cpu, args.tpu))
    print(model_deploy.placement(strategy))
    split = dataset_factory.get_dataset(args.dataset_name, args.dataset_split_name, args.dataset_dir)
    config = train_flags.settings(args, split)
    model_deploy.check_mixed_precision(config.mixed_precision)
    warning = size_warning(config)
    if warning:
        print(f"Warning: {warning}", file=sys.stderr)
    return Trainer(config, strategy, split).run().exit_code


def size_warning(config: RunConfig) -> str | None:
    """What to say when the net trains at a size below the smallest it trains reliably at."""
    smallest = assembly.net_spec(config).min_image_size
    if not (config.image_size and smallest and config.image_size < smallest):
        return None
    return (
        f"{config.model_name} trains unreliably below {smallest} pixels (--train_image_size="
        f"{config.image_size}): its last stages would run on 1x1 maps. Pass --train_image_size="
        f"{smallest} or more; smaller images are scaled up."
    )


if __name__ == "__main__":
    sys.exit(main())
