"""Metrics from a confusion matrix, and its picture.

``matrix[i, j]`` counts examples of true class i predicted as class j.
"""

from __future__ import annotations

import io

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw, ImageFont

CELL = 24
MAX_NAMED = 30  # beyond this many classes the picture drops the names


def metrics(matrix: np.ndarray, class_names: list[str]) -> dict:
    """Accuracy, per-class precision and recall (None where undefined), and the matrix itself."""
    matrix = np.asarray(matrix, dtype=np.int64)
    correct = np.diag(matrix).astype(np.float64)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)

    def ratio(num, den):
        return [float(n / d) if d else None for n, d in zip(num, den, strict=True)]

    return {
        "accuracy": float(correct.sum() / max(matrix.sum(), 1)),
        "per_class": {
            name: {"precision": p, "recall": r, "support": int(s)}
            for name, p, r, s in zip(
                class_names, ratio(correct, predicted), ratio(correct, actual), actual, strict=True
            )
        },
        "confusion_matrix": matrix.tolist(),
    }


def write_png(matrix: np.ndarray, class_names: list[str], path: str) -> None:
    """Draws the row-normalized matrix (true class down, predicted across) with counts and names."""
    matrix = np.asarray(matrix, dtype=np.int64)
    n = len(matrix)
    named = n <= MAX_NAMED
    cell = CELL if named else max(2, 600 // n)
    margin = 90 if named else 0
    rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    image = Image.new("RGB", (margin + n * cell, margin + n * cell), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    for i in range(n):
        for j in range(n):
            shade = int(255 * (1 - rows[i, j]))
            x, y = margin + j * cell, margin + i * cell
            draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=(shade, shade, 255))
            if named and matrix[i, j]:
                draw.text(
                    (x + 2, y + 6), str(matrix[i, j])[:4], fill="black" if shade > 110 else "white", font=font
                )
    if named:
        for k, name in enumerate(class_names):
            draw.text((2, margin + k * cell + 6), name[:14], fill="black", font=font)
            label = Image.new("RGB", (margin - 4, CELL), "white")
            ImageDraw.Draw(label).text((2, 6), name[:14], fill="black", font=font)
            image.paste(label.rotate(90, expand=True), (margin + k * cell, 2))
    save_png(image, path)


def save_png(image: Image.Image, path: str) -> None:
    """Writes a PIL image as PNG to any ``tf.io.gfile`` path (local, gs://, ...)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with tf.io.gfile.GFile(path, "wb") as f:
        f.write(buffer.getvalue())
