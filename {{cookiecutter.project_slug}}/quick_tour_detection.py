"""The quick tour's detection chapter: shapes in Pascal VOC's layout, the small SSD, boxes drawn.

quick_tour.py runs it after its own chapters: synthetic shapes ->
download_and_convert_data.py -> train.py (ssd_small) -> eval.py (mAP) ->
infer.py with the boxes drawn, and counts how many shapes of the drawn
images got a box of their class.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from xml.etree import ElementTree


def chapter(run: Callable[[list[str]], str], work: str, ckpt: str) -> dict:
    """Shapes in VOC's layout -> convert -> the small SSD -> mAP -> boxes drawn; what it found."""
    print("\n== Detection: shapes in Pascal VOC's layout, the small SSD ==")
    shapes, shapes_data = os.path.join(work, "shapes"), os.path.join(work, "shapes_data")
    # Shapes of a fifth of the image or more, 600 of them, and anchors that take a box from IoU 0.4 (SSD's
    # 0.5 left each shape one or two of ssd_small's coarse anchors at 128 px): after 500 steps 88% of the
    # test shapes get a box of their class scoring 0.5 or more (infer.py's default --min_score) on AVX2's
    # kernels and AVX-512's alike; with 200 images and IoU 0.5, 300 steps boxed 13%.
    run(["-m", "datasets.synthetic_shapes", f"--output_dir={shapes}", "--num_train=600", "--num_test=40",
         "--min_size=0.2"])  # fmt: skip
    run(["download_and_convert_data.py", "--dataset_name=shapes", f"--source_dir={shapes}",
         f"--dataset_dir={shapes_data}"])  # fmt: skip
    run(["train.py", "--dataset_name=shapes", f"--dataset_dir={shapes_data}", "--model_name=ssd_small",
         f"--train_dir={ckpt}/ssd", "--train_image_size=128", "--batch_size=16",
         "--max_number_of_steps=500", "--learning_rate=0.003", "--match_threshold=0.4",
         "--log_every_n_steps=100"])  # fmt: skip
    evaluated = run(["eval.py", f"--checkpoint_path={ckpt}/ssd", "--dataset_split_name=test"])
    metrics = json.loads(evaluated.splitlines()[-1])
    names = sorted(os.listdir(os.path.join(shapes, "JPEGImages")))[-4:]
    answers = run(["infer.py", f"--checkpoint_path={ckpt}/ssd", f"--output_dir={work}/drawn",
                   *(os.path.join(shapes, "JPEGImages", p) for p in names)])  # fmt: skip
    found = total = 0
    for name, line in zip(names, answers.splitlines(), strict=True):
        truth = os.path.join(shapes, "Annotations", os.path.splitext(name)[0] + ".xml")
        hits, objects = found_objects(truth, json.loads(line)["detections"])
        found, total = found + hits, total + objects
    print(f"\nThe drawn images ({work}/drawn) hold {total} shapes; {found} have a box of their class "
          "(IoU >= 0.5).")  # fmt: skip
    return {"detection_mAP": round(metrics["mAP"], 4), "detection_step": metrics["step"],
            "detection_found": found, "detection_objects": total}  # fmt: skip


def found_objects(annotation: str, detections: list[dict]) -> tuple[int, int]:
    """How many of an image's annotated objects a detection of their class overlaps at IoU >= 0.5."""
    corners = ("xmin", "ymin", "xmax", "ymax")
    truth = [
        (o.findtext("name"), [float(o.find("bndbox").findtext(k)) for k in corners])
        for o in ElementTree.parse(annotation).getroot().iter("object")
    ]
    found = sum(
        any(d["label"] == label and _iou(box, [d["box"][k] for k in corners]) >= 0.5 for d in detections)
        for label, box in truth
    )
    return found, len(truth)


def _iou(a: list[float], b: list[float]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - width * height
    return width * height / union if union > 0 else 0.0
