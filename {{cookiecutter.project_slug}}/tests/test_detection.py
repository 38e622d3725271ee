"""Detection, SSD end to end: the SSD nets, boxes, anchors, matching, the loss, NMS, mAP, VOC conversion,
box-aware preprocessing, and a small detector trained, evaluated, inferred and exported on shapes made in
code."""

import contextlib
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import download_and_convert_data
import eval as eval_py
import export
import infer
import train
from datasets import dataset_factory, pascal_voc, synthetic_shapes
from metrics import detection_ap
from nets import nets_factory
from preprocessing import preprocessing_factory
from tasks import box_ops

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- The SSD nets --------------------------------------------------------------------------------------

SSD_NETS = [
    name if name == "ssd_small" else pytest.param(name, marks=pytest.mark.slow)
    for name, spec in nets_factory.networks_map().items()
    if spec.task == box_ops.DETECTION
]
SMALL_SIZE = {"ssd_vgg_300": 260, "ssd_small": 96, "ssd_mobilenet_v2": 128}  # the smallest with every map


def _step(name, size, tmp_path=None):
    """Builds the net at ``size``, checks its outputs against its anchors, trains one step; returns it."""
    spec = nets_factory.get_net_spec(name)
    net = nets_factory.get_network(name, 7, weight_decay=1e-4)
    images = tf.random.uniform([2, size, size, 3])
    anchors = spec.anchors.at(size)  # the record's anchors match the net's feature maps
    classes, encoded = box_ops.match(tf.constant([[0.1, 0.1, 0.5, 0.6]]), tf.constant([2]), anchors)
    with tf.GradientTape() as tape:
        outputs, end_points = net(images, training=True)
        assert outputs["class_logits"].shape == (2, len(anchors), 8) and end_points
        assert outputs["box_encodings"].shape == (2, len(anchors), 4)
        logits, offsets = (tf.cast(outputs[k], tf.float32) for k in ("class_logits", "box_encodings"))
        loss = tf.reduce_mean(
            box_ops.multibox_loss(tf.stack([classes] * 2), tf.stack([encoded] * 2), logits, offsets)
        )
    grads = tape.gradient(loss, net.trainable_variables)
    assert all(g is not None for g in grads) and bool(tf.math.is_finite(loss)) and net.losses
    tf.keras.optimizers.SGD(0.01).apply_gradients(zip(grads, net.trainable_variables, strict=True))
    return net, images


@pytest.mark.parametrize("name", SSD_NETS)
def test_every_ssd_net_builds_trains_a_step_and_round_trips_a_checkpoint(name, tmp_path):
    spec = nets_factory.get_net_spec(name)
    _step(name, SMALL_SIZE[name])
    net, images = _step(name, spec.default_image_size)
    before, _ = net(images)
    path = tf.train.Checkpoint(model=net).write(str(tmp_path / "ckpt"))
    other = nets_factory.get_network(name, 7, weight_decay=1e-4)
    other(images)
    tf.train.Checkpoint(model=other).read(path).assert_existing_objects_matched()
    after, _ = other(images)
    for a, b in zip(tf.nest.flatten(after), tf.nest.flatten(before), strict=True):
        assert tf.reduce_max(tf.abs(a - b)) == 0.0


@pytest.mark.bfloat16
@pytest.mark.parametrize("name", SSD_NETS)
def test_every_ssd_net_trains_a_step_in_bfloat16(name):
    tf.keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        net, _ = _step(name, SMALL_SIZE[name])
        assert all(v.dtype == tf.float32 for v in net.trainable_variables)  # weights stay float32
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")


# --- Anchors, encoding, matching, loss, NMS ------------------------------------------------------


def test_ssd_vgg_300_has_8732_anchors_and_ssd_tensorflows_first_layer():
    spec = nets_factory.get_net_spec("ssd_vgg_300").anchors
    assert spec.feature_map_sizes(300) == [38, 19, 10, 5, 3, 1]
    anchors = spec.at(300)
    assert anchors.shape == (8732, 4)
    first = anchors[:4] * 300  # the first cell of conv4_3: 21, sqrt(21 * 45), then ratios 2 and 1/2
    np.testing.assert_allclose(first[:, :2], [[300 / 76] * 2] * 4, rtol=1e-5)  # cell centre, 0.5 / 38
    root2 = np.sqrt(2)
    expected = [[21, 21], [np.sqrt(21 * 45)] * 2, [21 / root2, 21 * root2], [21 * root2, 21 / root2]]
    np.testing.assert_allclose(first[:, 2:], expected, rtol=1e-5)


def test_encode_then_decode_gives_the_boxes_back():
    anchors = nets_factory.get_net_spec("ssd_small").anchors.at(300)[:500]
    rng = np.random.default_rng(0)
    corners = np.sort(rng.uniform(0, 1, (500, 2, 2)), axis=1)
    boxes = tf.constant(np.concatenate([corners[:, 0], corners[:, 1]], axis=1), tf.float32)
    np.testing.assert_allclose(box_ops.decode(box_ops.encode(boxes, anchors), anchors), boxes, atol=1e-5)


def _grid_anchors():
    """Four anchors, the quarters of the image (cy, cx, h, w)."""
    return np.array(
        [[0.25, 0.25, 0.5, 0.5], [0.25, 0.75, 0.5, 0.5], [0.75, 0.25, 0.5, 0.5], [0.75, 0.75, 0.5, 0.5]],
        np.float32,
    )


def test_matching_on_hand_made_cases():
    anchors = _grid_anchors()
    # A box filling the top-left quarter, and a small one in the bottom right (IoU 0.04: below 0.5).
    boxes = tf.constant([[0.0, 0.0, 0.5, 0.5], [0.6, 0.6, 0.7, 0.7], [0.0, 0.0, 0.0, 0.0]])
    classes, encoded = box_ops.match(boxes, tf.constant([1, 2, 0]), anchors, threshold=0.5)
    assert classes.numpy().tolist() == [
        1,
        0,
        0,
        2,
    ]  # the small box still gets its best anchor; padding nothing
    np.testing.assert_allclose(encoded[0], [0, 0, 0, 0], atol=1e-6)
    classes, _ = box_ops.match(tf.zeros([0, 4]), tf.zeros([0], tf.int64), anchors)
    assert classes.numpy().tolist() == [0, 0, 0, 0]  # no boxes: all background


def test_multibox_loss_against_a_hand_computation():
    classes = tf.constant([[1, 0, 0, 0]], tf.int64)
    encoded = tf.zeros([1, 4, 4])
    logits = tf.constant([[[0.0, 2.0], [1.0, 0.0], [0.0, 3.0], [0.0, 1.0]]])
    predicted = tf.constant([[[0.5, -2.0, 0.0, 0.0], [9.0] * 4, [9.0] * 4, [9.0] * 4]])

    def ce(row, label):
        return float(-tf.nn.log_softmax(row)[label])

    # One positive: ratio 3 keeps all three negatives (there are three); ratio 1 keeps the hardest, anchor 2.
    loc = 0.5 * 0.5**2 + (2.0 - 0.5)  # smooth L1 of (0.5, -2, 0, 0)
    all_negatives = ce(logits[0, 0], 1) + sum(ce(logits[0, k], 0) for k in (1, 2, 3)) + loc
    got = box_ops.multibox_loss(classes, encoded, logits, predicted, negative_ratio=3.0)
    np.testing.assert_allclose(got.numpy(), [all_negatives], rtol=1e-5)
    hardest = ce(logits[0, 0], 1) + ce(logits[0, 2], 0) + 2.0 * loc
    got = box_ops.multibox_loss(classes, encoded, logits, predicted, negative_ratio=1.0, alpha=2.0)
    np.testing.assert_allclose(got.numpy(), [hardest], rtol=1e-5)
    empty = box_ops.multibox_loss(tf.zeros([1, 4], tf.int64), encoded, logits, predicted)
    assert empty.numpy().tolist() == [0.0]  # an image without boxes: no positives, no negatives, no NaN


def test_nms_suppresses_within_a_class_and_keeps_other_classes():
    anchors = np.array([[0.5, 0.5, 0.4, 0.4]] * 3, np.float32)
    logits = tf.math.log(tf.constant([[[0.05, 0.9, 0.05], [0.2, 0.7, 0.1], [0.15, 0.05, 0.8]]]))
    found = box_ops.detect(logits, tf.zeros([1, 3, 4]), anchors, 0.3, 0.45, 10)
    n = int(found["num_detections"][0])
    assert n == 2  # the same box twice for class 1: once; class 2 kept beside it
    assert sorted(found["detection_classes"][0, :n].numpy().tolist()) == [1.0, 2.0]


# --- mAP -------------------------------------------------------------------------------------------


def _result(boxes, scores, classes, gt_boxes, gt_classes, difficult=None, size=(100, 100)):
    return detection_ap.ImageResult(
        np.array(boxes, np.float32).reshape(-1, 4), np.array(scores, np.float32), np.array(classes),
        np.array(gt_boxes, np.float32).reshape(-1, 4), np.array(gt_classes),
        np.array(difficult if difficult is not None else [False] * len(gt_classes)), size,
    )  # fmt: skip


def test_voc07_ap_against_a_hand_computation_and_difficult_boxes_ignored():
    box, other, far = [0.1, 0.1, 0.5, 0.5], [0.6, 0.6, 0.9, 0.9], [0.0, 0.6, 0.1, 0.7]
    results = [
        _result([box, far], [0.9, 0.8], [1, 1], [box], [1]),  # a hit, then a false positive
        _result(
            [other], [0.7], [1], [other, far], [1, 1], [False, True]
        ),  # a hit; the difficult box is not missed
        _result([], [], [], [box], [1]),  # a miss
    ]
    precision, recall, positives = detection_ap.precision_recall(results, 1)
    assert positives == 3
    np.testing.assert_allclose(precision, [1, 0.5, 2 / 3])
    np.testing.assert_allclose(recall, [1 / 3, 1 / 3, 2 / 3])
    # 11 points: precision 1 up to recall 0.3, 2/3 for 0.4 .. 0.6, 0 from 0.7.
    assert detection_ap.voc07_ap(precision, recall) == pytest.approx((4 * 1 + 3 * 2 / 3) / 11)
    assert detection_ap.voc12_ap(precision, recall) == pytest.approx(1 / 3 + (1 / 3) * (2 / 3))


def test_coco_ap50_is_pycocotools_on_the_same_boxes():
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    rng = np.random.default_rng(3)
    results = []
    for _ in range(6):
        gt = np.sort(rng.uniform(0, 1, (3, 2, 2)), axis=1).transpose(0, 2, 1).reshape(3, 4)[:, [0, 2, 1, 3]]
        noisy = np.clip(gt + rng.normal(0, 0.03, gt.shape), 0, 1)
        results.append(
            _result(noisy, rng.uniform(0.2, 1, 3), [1, 2, 1], gt, [1, 2, 2], [False, False, True], (200, 300))
        )
    ours = detection_ap.coco_ap(results, [1, 2])
    truth, found = {"images": [], "annotations": [], "categories": [{"id": 1}, {"id": 2}]}, []
    for i, r in enumerate(results):
        truth["images"].append({"id": i, "height": 200, "width": 300})
        for b, c, d in zip(r.gt_boxes, r.gt_classes, r.gt_difficult, strict=True):
            xywh = [b[1] * 300, b[0] * 200, (b[3] - b[1]) * 300, (b[2] - b[0]) * 200]
            truth["annotations"].append({
                "id": len(truth["annotations"]) + 1, "image_id": i, "category_id": int(c),
                "bbox": xywh, "area": xywh[2] * xywh[3], "iscrowd": int(d),
            })  # fmt: skip
        for b, s, c in zip(r.boxes, r.scores, r.classes, strict=True):
            xywh = [b[1] * 300, b[0] * 200, (b[3] - b[1]) * 300, (b[2] - b[0]) * 200]
            found.append({"image_id": i, "category_id": int(c), "score": float(s), "bbox": xywh})
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = truth
        coco.createIndex()
        reference = COCOeval(coco, coco.loadRes(found), "bbox")
        reference.evaluate(), reference.accumulate(), reference.summarize()
    assert ours == pytest.approx((reference.stats[0], reference.stats[1]), abs=1e-12)
    assert ours[1] > 0.3


# --- Pascal VOC conversion -----------------------------------------------------------------------------


def _voc(root, objects, name="img", image=None, size=(40, 60), xml=None):
    for folder in ("Annotations", "JPEGImages"):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    if image is not None:
        image.save(os.path.join(root, "JPEGImages", f"{name}.jpg"))
    text = xml or synthetic_shapes.annotation_xml(name, 0, objects).replace(
        "<width>0</width><height>0</height>", f"<width>{size[1]}</width><height>{size[0]}</height>"
    )
    with open(os.path.join(root, "Annotations", f"{name}.xml"), "w") as f:
        f.write(text)


def test_voc_conversion_quirks(tmp_path, capsys):
    root = str(tmp_path / "voc")
    grey = Image.fromarray(np.full((40, 60), 128, np.uint8))
    _voc(
        root,
        [("  cat ", (6, 4, 30, 20), 1), ("dog", (10, 10, 10, 30), 0), ("dog", (50, 30, 70, 45), 0)],
        "a",
        grey,
    )
    cmyk = Image.fromarray(np.full((40, 60, 3), 200, np.uint8)).convert("CMYK")
    _voc(root, [("dog", (1, 1, 20, 20), 0)], "b", cmyk)
    _voc(root, [("cat", (1, 1, 5, 5), 0)], "missing")  # an annotation without its image
    _voc(root, [], "broken", grey, xml="<annotation><size><width>x</width></annotation>")
    info = pascal_voc.convert("pets", root, str(tmp_path / "data"), validation_fraction=0.0)
    out = capsys.readouterr().out
    assert (
        f"missing.jpg: image not found for {root}/Annotations/missing.xml" in out
        and "broken.xml: not a readable VOC annotation" in out
    )
    assert info["task"] == "detection" and info["conversion"]["zero_area_boxes_dropped"] == 1
    assert (
        info["conversion"]["boxes_clipped"] == 1
        and open(tmp_path / "data" / "labels.txt").read() == "1:cat\n2:dog\n"
    )
    split = dataset_factory.get_dataset("pets", "train", str(tmp_path / "data"))
    (image_a, label_a), (image_b, _) = list(split.records().map(split.decode).as_numpy_iterator())
    assert image_a.shape == (40, 60, 3) and image_b.shape == (40, 60, 3)  # grey and CMYK became RGB
    assert label_a["labels"].tolist() == [1, 2]
    assert label_a["difficult"].tolist() == [1, 0]  # difficult read as 1
    np.testing.assert_allclose(
        label_a["boxes"], [[0.1, 0.1, 0.5, 0.5], [30 / 40, 50 / 60, 1.0, 1.0]], atol=1e-6
    )
    with pytest.raises(
        dataset_factory.DatasetError, match="broken.xml: not a readable VOC annotation.*--strict"
    ):
        pascal_voc.convert("pets2", root, str(tmp_path / "data2"), strict=True)
    assert not os.path.exists(tmp_path / "data2" / "dataset_info.json")


def test_a_voc_filename_never_reads_outside_the_dataset(tmp_path, capsys):
    secret = tmp_path / "secret"
    secret.mkdir()
    Image.fromarray(np.full((40, 60, 3), 9, np.uint8)).save(secret / "secret.jpg")
    root = str(tmp_path / "downloaded" / "voc")
    image = Image.fromarray(np.full((40, 60, 3), 200, np.uint8))
    _voc(root, [("cat", (6, 4, 30, 20), 0)], "good", image)
    leaks = {"absolute": str(secret / "secret.jpg"), "dotdot": "../../../secret/secret.jpg"}
    for name, filename in leaks.items():
        _voc(root, [("cat", (1, 1, 20, 20), 0)], name)
        xml = os.path.join(root, "Annotations", f"{name}.xml")
        text = open(xml).read().replace(f"<filename>{name}.jpg<", f"<filename>{filename}<")
        assert filename in text
        open(xml, "w").write(text)
    assert download_and_convert_data.main(
        ["--dataset_name=pets", f"--source_dir={root}", f"--dataset_dir={tmp_path / 'data'}",
         "--validation_fraction=0"]
    ) == 0  # fmt: skip
    out = capsys.readouterr().out
    for name, filename in leaks.items():
        assert f"Annotations/{name}.xml: its <filename> {filename!r} leads outside {root}/JPEGImages" in out
    split = dataset_factory.get_dataset("pets", "train", str(tmp_path / "data"))
    records = list(split.records().map(split.decode).as_numpy_iterator())
    assert len(records) == 1 and records[0][0].min() > 100  # the good image only; the secret is dark
    with pytest.raises(dataset_factory.DatasetError, match="leads outside.*--strict"):
        pascal_voc.convert("pets", root, str(tmp_path / "strict"), strict=True)


@pytest.mark.parametrize("name", ["ssd", "ssd_vgg"])
def test_box_aware_preprocessing_keeps_boxes_in_the_image(name):
    fn = preprocessing_factory.get_preprocessing(name, is_training=True)
    image = tf.cast(tf.random.stateless_uniform([120, 160, 3], [1, 1], maxval=256, dtype=tf.int32), tf.uint8)
    boxes = tf.constant([[0.1, 0.1, 0.4, 0.3], [0.5, 0.6, 0.95, 0.99], [0.0, 0.0, 1.0, 1.0]])
    labels = tf.constant([1, 2, 3], tf.int64)
    kept = 0
    for k in range(40):
        out, new_boxes, new_labels = fn(
            image, 64, 64, seed=tf.constant([k, 9], tf.int64), boxes=boxes, labels=labels
        )
        assert out.shape == (64, 64, 3) and len(new_boxes) == len(new_labels)
        b = new_boxes.numpy()
        assert ((b >= 0) & (b <= 1)).all() and (b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all()
        kept += len(b)
    assert kept > 40  # crops keep objects
    plain = preprocessing_factory.get_preprocessing(name)(image, 64, 64)
    assert plain.shape == (64, 64, 3)


# --- A small detector, end to end ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    synthetic_shapes.write_voc_folder(str(root / "voc"), num_train=48, num_test=16, seed=1)
    assert download_and_convert_data.main(
        ["--dataset_name=shapes", f"--source_dir={root / 'voc'}", f"--dataset_dir={root / 'data'}"]
    ) == 0  # fmt: skip
    return root


@pytest.fixture(scope="module")
def detector(shapes, train_seed):
    train_dir = shapes / "ssd_small"
    assert train.main([
        "--dataset_name=shapes", f"--dataset_dir={shapes / 'data'}", "--model_name=ssd_small",
        f"--train_dir={train_dir}", "--train_image_size=128", "--batch_size=16", "--max_number_of_steps=400",
        "--learning_rate=0.003", "--log_every_n_steps=100", f"--seed={train_seed}",
    ]) == 0  # fmt: skip
    return train_dir


@pytest.mark.learning
def test_the_small_net_overfits_the_shapes(detector, tmp_path, capsys):
    capsys.readouterr()
    assert (
        eval_py.main(
            [f"--checkpoint_path={detector}", "--dataset_split_name=train", f"--eval_dir={tmp_path}"]
        )
        == 0
    )
    metrics = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert metrics["mAP"] > 0.9, metrics
    assert set(metrics["per_class"]) == {"circle", "square", "triangle"} and metrics["coco_AP50"] > 0.8
    assert os.path.exists(metrics["precision_recall_png"]) and metrics["num_examples"] == 48


def test_a_changed_class_count_needs_the_heads_excluded(detector, shapes, tmp_path, capsys):
    source = tmp_path / "two"
    synthetic_shapes.write_voc_folder(str(source), num_train=8, num_test=2, seed=5)
    for name in os.listdir(source / "Annotations"):  # two classes: no triangles
        path = source / "Annotations" / name
        path.write_text(path.read_text().replace("<name>triangle</name>", "<name>circle</name>"))
    pascal_voc.convert("two", str(source), str(tmp_path / "data"))
    flags = ["--dataset_name=two", f"--dataset_dir={tmp_path / 'data'}", "--model_name=ssd_small",
             "--train_image_size=128", f"--checkpoint_path={detector}", "--max_number_of_steps=2",
             "--batch_size=2"]  # fmt: skip
    assert train.main([*flags, f"--train_dir={tmp_path / 'a'}"]) == 2
    assert "--checkpoint_exclude_scopes=heads/class_head" in capsys.readouterr().err
    assert (
        train.main([*flags, f"--train_dir={tmp_path / 'b'}", "--checkpoint_exclude_scopes=heads/class_head"])
        == 0
    )
    assert train.main([*flags[:-3], f"--train_dir={detector}", "--max_number_of_steps=500"]) == 2
    assert "holds a run with --dataset_name=shapes, not two" in capsys.readouterr().err


def test_infer_and_the_export_agree_and_draw_the_boxes(detector, shapes, tmp_path, capsys):
    images = sorted(str(p) for p in (shapes / "voc" / "JPEGImages").glob("*.jpg"))[-4:]
    exported = tmp_path / "exported"
    assert export.main([f"--checkpoint_path={detector}", f"--output_dir={exported}", "--tflite"]) == 0
    exported = exported / "1"  # TF Serving's layout, <model>/<version>/: a bare SavedModel folder
    capsys.readouterr()
    assert (
        infer.main(
            [f"--checkpoint_path={detector}", "--min_score=0", f"--output_dir={tmp_path / 'drawn'}", *images]
        )
        == 0
    )
    from_checkpoint = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(r["detections"] for r in from_checkpoint)
    best = from_checkpoint[0]["detections"][0]
    assert (
        set(best) == {"label", "class_id", "score", "box"}
        and 0 <= best["box"]["xmin"] < best["box"]["xmax"] <= 128
    )
    assert len(os.listdir(tmp_path / "drawn")) == 4
    assert infer.main([f"--checkpoint_path={detector}", *images]) == 0  # by default, the confident ones
    confident = [json.loads(line)["detections"] for line in capsys.readouterr().out.splitlines()]
    assert all(d["score"] >= 0.5 for found in confident for d in found)
    assert 0 < sum(map(len, confident)) < sum(len(r["detections"]) for r in from_checkpoint)
    # A bare process with only TensorFlow: the Object Detection API's outputs, NMS inside.
    script = ("import json, sys, tensorflow as tf\n"
              "serve = tf.saved_model.load(sys.argv[1]).signatures['serving_default']\n"
              "out = serve(images=tf.constant([open(p, 'rb').read() for p in sys.argv[2:]]))\n"
              "print(json.dumps({k: v.numpy().tolist() for k, v in out.items()}))\n")  # fmt: skip
    served = subprocess.run(
        [sys.executable, "-I", "-c", script, str(exported), *images], capture_output=True, text=True
    )
    assert served.returncode == 0, served.stderr
    out = json.loads(served.stdout.splitlines()[-1])
    assert set(out) == {"detection_boxes", "detection_scores", "detection_classes", "num_detections"}
    for i, result in enumerate(from_checkpoint):
        n = int(out["num_detections"][i])
        assert n == len(result["detections"])
        np.testing.assert_allclose(
            out["detection_scores"][i][:n], [d["score"] for d in result["detections"]], atol=1e-6
        )
        assert [int(c) for c in out["detection_classes"][i][:n]] == [
            d["class_id"] for d in result["detections"]
        ]
    interpreter = tf.lite.Interpreter(model_path=str(exported / "model.tflite"))
    runner = interpreter.get_signature_runner("serving_preprocessed")
    pre_nms = runner(images=np.zeros([1, 128, 128, 3], np.float32))
    assert pre_nms["boxes"].shape[1] == pre_nms["scores"].shape[1] and pre_nms["scores"].shape[2] == 3
    assert box_ops.BOXES == "boxes"
