"""Prints a net's structure: end points, their output shapes and parameters.

python -m nets.print_net --model_name=lenet [--num_classes=10] [--image_size=28] [--channels=1]
"""

from __future__ import annotations

from cli import flags, runner

import tensorflow as tf

from nets import nets_factory


def describe(model_name: str, num_classes: int, image_size: int | None = None, channels: int = 1) -> str:
    """Returns a table of the net's end points, output shapes and parameter counts."""
    spec = nets_factory.get_net_spec(model_name)
    size = image_size or spec.default_image_size
    shape = [1, size, size, channels] if size else [1, channels]
    net = nets_factory.get_network(model_name, num_classes)
    _, end_points = net(tf.zeros(shape), training=False)
    params = {layer.name: layer.count_params() for layer in net.layers}
    rows = [("input", str(tuple(shape)), "")]
    rows += [
        (name, str(tuple(value.shape)), f"{params[name]:,}" if name in params else "")
        for name, value in end_points.items()
    ]
    widths = [max(len(row[i]) for row in rows + [("end point", "shape", "params")]) for i in range(3)]
    lines = [f"{'end point':<{widths[0]}}  {'shape':<{widths[1]}}  {'params':>{widths[2]}}"]
    lines += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows]
    lines.append(f"{model_name}: {net.count_params():,} parameters")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = flags.make_parser("Print a net's structure.")
    parser.add_argument("--model_name", required=True, choices=list(nets_factory.networks_map()))
    parser.add_argument("--num_classes", type=flags.non_negative_int, default=10)
    parser.add_argument("--image_size", type=flags.positive_int, default=None, help="Default: the net's own.")
    parser.add_argument(
        "--channels", type=flags.positive_int, default=1, help="Image channels (features for MLPs)."
    )
    args = flags.parse(parser, argv)
    return runner.run(
        lambda: print(describe(args.model_name, args.num_classes, args.image_size, args.channels))
    )


if __name__ == "__main__":
    raise SystemExit(main())
