"""Precision-recall curves, one per class, drawn as a PNG."""

from __future__ import annotations

import io

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw, ImageFont

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]


def write_png(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: str, size: int = 400) -> None:
    """Recall across, precision up, each class in its colour with its name (any tf.io.gfile path)."""
    margin, legend = 40, 16 * min(len(curves), 20)
    image = Image.new("RGB", (size + 2 * margin, size + 2 * margin + legend), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    draw.rectangle([margin, margin, margin + size, margin + size], outline="black")
    for tick in np.linspace(0, 1, 6):
        x, y = margin + tick * size, margin + size - tick * size
        draw.text((x - 8, margin + size + 4), f"{tick:.1f}", fill="black", font=font)
        draw.text((4, y - 6), f"{tick:.1f}", fill="black", font=font)
    draw.text((margin + size // 2 - 20, 4), "precision / recall", fill="black", font=font)
    for k, (name, (recall, precision)) in enumerate(sorted(curves.items())):
        colour = COLOURS[k % len(COLOURS)]
        points = [
            (margin + r * size, margin + size - p * size) for r, p in zip(recall, precision, strict=True)
        ]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        if k < 20:
            draw.text((margin, 2 * margin + size + 16 * k), name[:40], fill=colour, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with tf.io.gfile.GFile(path, "wb") as f:
        f.write(buffer.getvalue())
