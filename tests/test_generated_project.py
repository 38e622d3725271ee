"""The rendered project at work: its own tests, its quick tour, the MNIST path on
IDX files written here, and its pre-commit hooks. Each runs the project's own
commands in subprocesses, as a user would."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import venv
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import render


def run(project: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return _finished(_start(project, *args), timeout)


def last_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _start(project: Path, *args: str) -> subprocess.Popen:
    """Starts ``python ARGS`` in ``project`` in the background, its output into temporary files (a
    pipe's buffer could fill and stall it)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    command = [sys.executable, *args]
    process = subprocess.Popen(command, cwd=project, stdout=out, stderr=err, text=True, env=env)
    process.outputs = (out, err)
    return process


def _start_suite(project: Path, request, *args: str) -> subprocess.Popen:
    """Starts the project's own tests (``--project-marks`` picks a part of them, e.g. only those that
    train)."""
    marks, seed = request.config.getoption("--project-marks"), request.config.getoption("--train-seed")
    return _start(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", marks,
                  f"--train-seed={seed}", *args)  # fmt: skip


def _finished(process: subprocess.Popen, timeout: int = 1200) -> subprocess.CompletedProcess:
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    stdout, stderr = (stream.seek(0) or stream.read() for stream in process.outputs)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _passed(suite: subprocess.Popen) -> None:
    result = _finished(suite)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


@pytest.fixture(scope="module")
def background(full_project, project, request, tmp_path_factory):
    """The long runs of this module, started together when the first of their tests asks: the full
    project's part tests and its quick tour run beside the minimal project's suite. One suite alone keeps
    2 cores 58% busy (imports, process starts, small tensors); together they keep them busy, and the
    default run stays under 10 minutes. Only the runs whose tests are selected start."""
    selected = {item.name for item in request.session.items}
    jobs = {}
    if "test_the_full_project_passes_the_tests_of_its_parts" in selected:
        # The tests only the full project has (its parts'); the rest are the minimal project's files.
        extra = sorted(
            p.name
            for p in (full_project / "tests").glob("test_*.py")
            if not (project / "tests" / p.name).exists()
        )
        assert extra, "the full project has no tests of its own"
        jobs["parts"] = _start_suite(full_project, request, *(f"tests/{name}" for name in extra))
    if "test_the_quick_tour_trains_evaluates_and_infers" in selected:
        jobs["tour"] = _start(full_project, "quick_tour.py", f"--workdir={tmp_path_factory.mktemp('tour')}")
    yield jobs
    for process in jobs.values():
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.learning
def test_the_project_passes_its_own_tests(project, request, background):
    """The minimal project's whole suite (the long runs of the full project meanwhile)."""
    _passed(_start_suite(project, request))


@pytest.mark.learning
def test_the_full_project_passes_the_tests_of_its_parts(background):
    """The full project's part tests. `-m slow` runs the full project's whole suite."""
    _passed(background["parts"])


@pytest.mark.slow
def test_the_full_project_passes_its_whole_suite_and_both_pass_their_slow_tests(project, full_project):
    """Every large net at its full size, and the longer accuracy runs (an hour on 2 cores)."""
    for folder, marks in ((full_project, "not slow"), (project, "slow"), (full_project, "slow")):
        result = run(folder, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", marks, timeout=5400)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert " passed" in result.stdout and "failed" not in result.stdout


@pytest.mark.learning
def test_the_quick_tour_trains_evaluates_and_infers(background):
    """The full project's tour: the minimal one's chapters, then detection's."""
    summary = last_json(_finished(background["tour"]))
    assert summary["sine_step"] == 2000 and summary["sine_mse"] < 0.15  # noise floor 0.09
    assert summary["digits_step"] == 200 and summary["digits_accuracy"] > 0.9  # chance 0.1
    assert summary["infer_correct"] >= 9 and summary["infer_total"] == 10
    assert summary["detection_step"] == 500 and summary["detection_mAP"] > 0.8
    # Most shapes in the drawn images get a box of their class (what a newcomer looks at).
    assert summary["detection_found"] >= 0.8 * summary["detection_objects"] > 0


# --- MNIST-format data written here, independent of the project's own generator ---


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def bars(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Class k: a bright bar two rows high at row 1 + 2.5k (+0 or 1), of random offset, over noise."""
    images = rng.integers(0, 60, size=(len(labels), 28, 28))
    for image, label in zip(images, labels, strict=True):
        row = int(1 + 2.5 * label + rng.integers(0, 2))
        left = int(rng.integers(0, 10))
        image[row : row + 2, left : left + 14] = 255
    return images.astype(np.uint8)


def png_bytes(image: np.ndarray) -> bytes:
    rows = b"".join(b"\x00" + row.tobytes() for row in image.astype(np.uint8))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", image.shape[1], image.shape[0], 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def raw_mnist(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 2000), ("t10k", 400)):
        labels = rng.integers(0, 10, size=n)
        (raw / f"{prefix}-images-idx3-ubyte.gz").write_bytes(idx_bytes(bars(labels, rng)))
        (raw / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(idx_bytes(labels))
    return raw


@pytest.mark.learning
def test_mnist_convert_train_eval_infer_on_idx_files(project, raw_mnist, tmp_path):
    data, ckpt = tmp_path / "mnist", tmp_path / "lenet"
    converted = run(
        project,
        "download_and_convert_data.py",
        "--dataset_name=mnist",
        f"--source_dir={raw_mnist}",
        f"--dataset_dir={data}",
    )
    assert converted.returncode == 0, converted.stderr
    assert sorted(p.name for p in data.iterdir()) == [
        "dataset_info.json",
        "labels.txt",
        "mnist_test-00000-of-00001.tfrecord",
        "mnist_train-00000-of-00001.tfrecord",
    ]
    trained = run(
        project,
        "train.py",
        "--dataset_name=mnist",
        f"--dataset_dir={data}",
        "--model_name=lenet",
        f"--train_dir={ckpt}",
        "--max_number_of_steps=150",
        "--batch_size=32",
        "--optimizer=momentum",
        "--learning_rate=0.01",
        "--log_every_n_steps=50",
    )
    assert trained.returncode == 0, trained.stderr
    assert "step 150: loss = " in trained.stdout and "examples/s" in trained.stdout
    metrics = last_json(run(project, "eval.py", f"--checkpoint_path={ckpt}", "--dataset_split_name=test"))
    assert metrics["step"] == 150 and metrics["num_examples"] == 400
    assert metrics["accuracy"] > 0.8  # chance is 0.1

    rng = np.random.default_rng(1)
    labels = np.arange(10)
    for label, image in zip(labels, bars(labels, rng), strict=True):
        (tmp_path / f"{label}.png").write_bytes(png_bytes(image))
    inferred = run(
        project, "infer.py", f"--checkpoint_path={ckpt}", *(str(tmp_path / f"{k}.png") for k in labels)
    )
    assert inferred.returncode == 0, inferred.stderr
    results = [json.loads(line) for line in inferred.stdout.splitlines()]
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    hits = sum(r["predictions"][0]["label"] == names[k] for r, k in zip(results, labels, strict=True))
    assert hits >= 8


# --- A first dataset of the user's own, filled in as its module says -------------------------------

# What a user runs: each entry point's main(), the function its command calls, in one process (one
# TensorFlow start instead of five); the last line is what they printed, as JSON.
FIRST_HOUR = """
import contextlib, io, json, sys
import download_and_convert_data, eval, export, infer, train
source, data, run, exported, image = sys.argv[1:]
def call(module, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = module.main(list(args))
    return status, out.getvalue()
said = {}
said["convert"] = call(download_and_convert_data, "--dataset_name=leaves", "--source_dir=" + source,
                       "--dataset_dir=" + data)[0]
said["train"] = call(train, "--dataset_name=leaves", "--dataset_dir=" + data, "--train_dir=" + run,
                     "--model_name=lenet", "--max_number_of_steps=40", "--batch_size=8")[0]
status, out = call(eval, "--checkpoint_path=" + run)
said["eval"], said["metrics"] = status, json.loads(out.splitlines()[-1])
status, out = call(infer, "--checkpoint_path=" + run, image)
said["infer"], said["answer"] = status, json.loads(out.splitlines()[-1])
said["export"] = call(export, "--checkpoint_path=" + run, "--output_dir=" + exported)[0]
print(json.dumps(said))
"""


def leaves(folder: Path) -> Path:
    """Photos of three kinds of leaves (a colour each, with noise) and a labels.csv of file,label rows."""
    folder.mkdir()
    rng, rows = np.random.default_rng(0), []
    for i in range(60):
        kind = i % 3
        image = rng.integers(0, 60, size=(20, 20)).astype(np.uint8)
        image[4:16, 4 + 2 * kind : 10 + 2 * kind] = 255  # a bar whose place is the kind
        (folder / f"leaf{i}.png").write_bytes(png_bytes(image))
        rows.append(f"leaf{i}.png,{['oak', 'elm', 'ash'][kind]}\n")
    (folder / "labels.csv").write_text("".join(rows))
    return folder


def fill_in_as_its_docstring_says(module: Path) -> None:
    """Replaces list_images' body with the CSV example of its docstring, and imports what it uses."""
    text = module.read_text()
    example = re.search(r"replace the body with::\n\n(.*?)\n\n", text, re.S)[1]
    body = textwrap.indent(textwrap.dedent(example), "    ") + "\n"
    assert "    return image_folder.scan(source_dir, validation_fraction)\n" in text
    text = text.replace("    return image_folder.scan(source_dir, validation_fraction)\n", body)
    imports = "import csv\nimport os\n\nimport tensorflow as tf\n"
    module.write_text(text.replace("import tensorflow as tf\n", imports))


@pytest.mark.learning
def test_a_first_dataset_filled_in_as_its_module_says_trains_evaluates_infers_and_exports(tmp_path):
    project = render(tmp_path / "render", first_dataset="leaves")
    fill_in_as_its_docstring_says(project / "datasets" / "leaves.py")
    source = leaves(tmp_path / "photos")
    outputs = [str(tmp_path / name) for name in ("data", "run", "exported")]
    paths = [str(source), *outputs, str(source / "leaf4.png")]
    said = last_json(run(project, "-c", FIRST_HOUR, *paths))
    assert said["convert"] == said["train"] == said["eval"] == said["infer"] == said["export"] == 0, said
    info = json.loads((tmp_path / "data" / "dataset_info.json").read_text())
    assert info["splits"]["train"]["num_examples"] == 54 and info["num_classes"] == 3  # a tenth held out
    metrics = said["metrics"]
    assert metrics["split"] == "validation" and metrics["num_examples"] == 6  # no test split: eval took it
    assert metrics["accuracy"] > 0.5  # chance is 1/3
    assert said["answer"]["predictions"][0]["label"] in ("oak", "elm", "ash")
    assert (tmp_path / "exported" / "1" / "saved_model.pb").is_file()

    # Records of its own through DatasetWriter, whose finish() is given an info without image_shape.
    made = run(project, "-m", "datasets.new_dataset", "--name=leaf_records")
    assert made.returncode == 0, made.stderr
    module = project / "datasets" / "leaf_records.py"
    text = module.read_text()
    own = (
        "    writer = dataset_utils.DatasetWriter(dataset_dir, NAME)\n"
        "    image = tf.io.encode_png(tf.zeros([8, 8, 1], tf.uint8)).numpy()\n"
        "    records = [dataset_utils.image_to_tfexample(image, b'png', 8, 8, k % 2).SerializeToString()"
        " for k in range(4)]\n"
        "    writer.write_split('train', records, 1)\n"
        "    return writer.finish({0: 'oak', 1: 'elm'}, {})\n"
    )
    convert = "    return image_folder.convert("
    assert convert in text
    module.write_text(text.replace(convert, own + convert, 1))  # before the images the module lists
    refused = run(project, "download_and_convert_data.py", "--dataset_name=leaf_records",
                  f"--source_dir={source}", f"--dataset_dir={tmp_path / 'records'}")  # fmt: skip
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("error: ")
    assert "info['image_shape']" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "records" / "dataset_info.json").exists()  # nothing looks finished


def test_a_user_error_exits_2_with_a_message_and_no_traceback(project, tmp_path):
    result = run(project, "eval.py", f"--checkpoint_path={tmp_path}")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: no checkpoint in {tmp_path}: train first with "
        f"`python train.py --train_dir={tmp_path} ...`, or pass a checkpoint file."
    )


def test_tensorflow_start_up_notices_stay_out_of_the_terminal(project):
    result = run(project, "-m", "nets.print_net", "--model_name=lenet")
    assert result.returncode == 0
    assert "lenet: 3,274,634 parameters" in result.stdout
    assert result.stderr == ""


def test_the_wheel_holds_the_project_and_its_commands_run_from_a_fresh_environment(project, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(project, source)  # pip wheel writes build files beside the sources
    built = run(
        source, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path / "dist"), "."
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("image_models-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("train.py", "train_flags.py", "eval.py", "errors.py", "registry.py", "cli/flags.py",
                   "training/trainer.py", "serving/endpoints.py", "nets/lenet.py", "tasks/classification.py",
                   "nets/inception_v3_scopes.txt", "datasets/imagenet_class_names.txt"):  # fmt: skip
        assert f"image_models/{module}" in names, module
    # One name in site-packages: nothing generic (datasets, metrics, training, train, errors) at the top.
    assert {n.split("/")[0] for n in names} == {"image_models", wheel.name.split("-")[0] + "-0.1.0.dist-info"}
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    installed = subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
                               capture_output=True, text=True)  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    # Another distribution's top-level datasets (Hugging Face's) in the same environment.
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([python, "-c", where], text=True).strip())
    (site / "datasets").mkdir()
    (site / "datasets" / "__init__.py").write_text("OWNER = 'huggingface'\n")
    # TensorFlow and the other dependencies from this environment; the project only from the wheel.
    dependencies = next(p for p in sys.path if p.endswith("site-packages"))
    env = {**os.environ, "PYTHONPATH": dependencies}
    both = subprocess.run([python, "-c", "import datasets, image_models.entry_points; print(datasets.OWNER)"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)  # fmt: skip
    assert both.returncode == 0 and both.stdout.strip() == "huggingface", both.stderr[-2000:]
    # train.py imports our datasets package, with the other one in the same site-packages.
    helped = subprocess.run([fresh / "bin" / "image_models-train", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert helped.returncode == 0, helped.stderr[-2000:]
    assert "--model_name" in helped.stdout and "--eval_every_n_steps" in helped.stdout


def test_pre_commit_passes_on_a_fresh_project(project, tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(command, cwd=copy, check=True)
    result = run(copy, "-m", "pre_commit", "run", "--all-files")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "ruff check" in result.stdout and "Passed" in result.stdout
