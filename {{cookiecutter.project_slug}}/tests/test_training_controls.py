"""train.py's controls: optimizers, schedules, label smoothing, moving averages, clipping, seeds,
mixed precision and fine-tuning."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import eval as eval_py
import train
from datasets import image_folder, synthetic_digits
from deployment import assembly, checkpointing, model_deploy
from deployment.run_config import OptimizerSettings
from tasks import classification
from training import optimization

SINE = ["--dataset_name=sine", "--model_name=regression", "--log_every_n_steps=20"]
RATES = {"sgd": 0.01, "momentum": 0.01, "rmsprop": 0.003, "adam": 0.003, "adamw": 0.003,
         "adagrad": 0.1, "adadelta": 1.0, "ftrl": 0.1}  # fmt: skip


def mse(train_dir, capsys):
    capsys.readouterr()
    assert eval_py.main([f"--checkpoint_path={train_dir}"]) == 0
    return json.loads(capsys.readouterr().out.splitlines()[-1])["mse"]


@pytest.mark.learning
@pytest.mark.parametrize("name", optimization.OPTIMIZERS)
def test_every_optimizer_lowers_the_loss(tmp_path, capsys, name, train_seed):
    flags = [*SINE, f"--train_dir={tmp_path}", f"--optimizer={name}", f"--learning_rate={RATES[name]}",
             f"--seed={train_seed}"]  # fmt: skip
    assert train.main([*flags, "--max_number_of_steps=1"]) == 0
    first = mse(tmp_path, capsys)
    assert train.main([*flags, "--max_number_of_steps=150"]) == 0
    assert mse(tmp_path, capsys) < 0.8 * first
    assert json.load(open(tmp_path / "train_config.json"))["optimizer"]["optimizer"] == name


def test_schedules_count_in_epochs_and_warm_up():
    per_epoch = 100.0
    exponential = optimization.learning_rate(
        OptimizerSettings(
            learning_rate=0.1,
            learning_rate_decay_type="exponential",
            num_epochs_per_decay=2,
            learning_rate_decay_factor=0.5,
        ),
        per_epoch,
    )
    assert float(exponential(199)) == pytest.approx(0.1) and float(exponential(200)) == pytest.approx(0.05)
    polynomial = optimization.learning_rate(
        OptimizerSettings(
            learning_rate=0.1,
            learning_rate_decay_type="polynomial",
            num_epochs_per_decay=1,
            end_learning_rate=0.001,
        ),
        per_epoch,
    )
    assert float(polynomial(50)) == pytest.approx(0.0505) and float(polynomial(1000)) == pytest.approx(0.001)
    cosine_settings = OptimizerSettings(
        learning_rate=0.1, learning_rate_decay_type="cosine", warmup_epochs=1, end_learning_rate=0
    )
    cosine = optimization.learning_rate(cosine_settings, per_epoch, max_steps=1100)
    assert float(cosine(0)) == pytest.approx(0.001) and float(cosine(49)) == pytest.approx(0.05)
    assert float(cosine(100)) == pytest.approx(0.1) and float(cosine(600)) == pytest.approx(0.05, abs=1e-3)
    assert float(cosine(1100)) == pytest.approx(0.0, abs=1e-6)


def test_label_smoothing_penalizes_confidence():
    logits, labels = tf.constant([[10.0, -10.0, -10.0]]), tf.constant([0])

    def loss(smoothing, training):
        task = classification.Classification(
            num_classes=3, labels_to_names={}, settings={"label_smoothing": smoothing}
        )
        return float(task.loss(targets=labels, outputs=logits, training=training)[0])

    assert loss(0.1, True) > loss(0.0, True) + 1.0
    assert loss(0.1, False) == loss(0.0, True)  # evaluation reports the plain cross-entropy


def test_moving_average_is_saved_and_used_by_eval(tmp_path):
    assert (
        train.main(
            [*SINE, f"--train_dir={tmp_path}", "--max_number_of_steps=100", "--moving_average_decay=0.9"]
        )
        == 0
    )
    reader = tf.train.load_checkpoint(str(tmp_path / "ckpt-100"))
    keys = reader.get_variable_to_shape_map()
    raw = next(k for k in keys if k.startswith("model/fc1/_kernel"))
    average = raw.replace("model/", "ema_model/", 1)
    assert average in keys
    assert not np.allclose(reader.get_tensor(raw), reader.get_tensor(average))
    net, _, _ = assembly.load_net(str(tmp_path))
    np.testing.assert_array_equal(net.get_layer("fc1").kernel.numpy(), reader.get_tensor(average))


def test_gradient_clipping_bounds_the_update(tmp_path):
    def first_kernel(train_dir, *flags):
        assert train.main([*SINE, f"--train_dir={train_dir}", "--max_number_of_steps=1", "--optimizer=sgd",
                           "--learning_rate=1.0", *flags]) == 0  # fmt: skip
        return assembly.load_net(str(train_dir))[0].get_layer("fc1").kernel.numpy()

    start = first_kernel(tmp_path / "zero", "--learning_rate=0.0")
    free = first_kernel(tmp_path / "free")
    clipped = first_kernel(tmp_path / "clipped", "--clip_gradient_norm=0.001")
    # At learning rate 1 one step moves the weights by the clipped gradient, of norm at most 0.001.
    assert np.linalg.norm(clipped - start) <= 0.0011 < np.linalg.norm(free - start)


def test_the_same_seed_gives_the_same_run(tmp_path, capsys):
    for run in ("a", "b"):
        assert (
            train.main([*SINE, f"--train_dir={tmp_path / run}", "--max_number_of_steps=40", "--seed=7"]) == 0
        )
    a, b = (tf.train.load_checkpoint(str(tmp_path / r / "ckpt-40")) for r in ("a", "b"))
    key = "model/prediction/_kernel/.ATTRIBUTES/VARIABLE_VALUE"
    np.testing.assert_array_equal(a.get_tensor(key), b.get_tensor(key))


@pytest.mark.bfloat16
@pytest.mark.learning
def test_bfloat16_trains_with_float32_weights_and_loss(mnist_dir, tmp_path, capsys, train_seed):
    assert train.main([
        "--dataset_name=mnist", f"--dataset_dir={mnist_dir}", f"--train_dir={tmp_path}",
        f"--seed={train_seed}", "--max_number_of_steps=30", "--mixed_precision=bfloat16",
        "--log_every_n_steps=10",
    ]) == 0  # fmt: skip
    losses = [
        float(line.split("loss = ")[1].split()[0])
        for line in capsys.readouterr().out.splitlines()
        if "loss =" in line
    ]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    reader = tf.train.load_checkpoint(str(tmp_path / "ckpt-30"))
    assert reader.get_variable_to_dtype_map()["model/conv1/_kernel/.ATTRIBUTES/VARIABLE_VALUE"] == tf.float32
    assert tf.keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    train.main(
        [
            "--dataset_name=sine",
            "--model_name=regression",
            f"--train_dir={tmp_path}/f32",
            "--max_number_of_steps=1",
        ]
    )
    assert tf.keras.mixed_precision.global_policy().name == "float32"


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="a GPU runs bfloat16")
def test_bfloat16_is_refused_where_its_kernels_are_missing(mnist_dir, tmp_path, monkeypatch, capsys):
    """Capped at AVX2, oneDNN has no bfloat16 kernels and the first bfloat16 matmul would crash."""
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    flags = ["--dataset_name=mnist", f"--dataset_dir={mnist_dir}", f"--train_dir={tmp_path / 'run'}",
             "--max_number_of_steps=1", "--mixed_precision=bfloat16"]  # fmt: skip
    assert train.main(flags) == 2
    assert "--mixed_precision=bfloat16 cannot run here: ONEDNN_MAX_CPU_ISA=AVX2 limits oneDNN" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "run").exists()
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n")
    assert "no AVX-512" in model_deploy.bfloat16_unsupported_reason({}, str(cpuinfo), has_gpu=False)
    cpuinfo.write_text("flags\t\t: sse2 avx avx2 avx512f avx512bw avx512vl avx512dq avx512_bf16\n")
    assert model_deploy.bfloat16_unsupported_reason({}, str(cpuinfo), has_gpu=False) is None


@pytest.fixture(scope="module")
def ten_class_lenet(mnist_dir, tmp_path_factory, train_seed):
    train_dir = tmp_path_factory.mktemp("lenet10")
    assert train.main(["--dataset_name=mnist", f"--dataset_dir={mnist_dir}", f"--train_dir={train_dir}",
                       "--max_number_of_steps=60", "--optimizer=momentum",
                       f"--seed={train_seed}"]) == 0  # fmt: skip
    return str(train_dir)


@pytest.fixture(scope="module")
def five_class_digits(tmp_path_factory):
    root = tmp_path_factory.mktemp("five")
    for k in range(5):
        os.makedirs(root / "src" / str(k))
        for i, image in enumerate(synthetic_digits.draw_digits(np.full(40, k), seed=k)):
            synthetic_digits.write_png(str(root / "src" / str(k) / f"{i}.png"), image)
    image_folder.convert("five", str(root / "src"), str(root / "data"), validation_fraction=0.25)
    return str(root / "data")


@pytest.mark.learning
def test_fine_tuning_to_a_new_head_needs_the_logits_excluded(
    ten_class_lenet, five_class_digits, tmp_path, capsys, train_seed
):
    flags = [
        f"--seed={train_seed}",
        "--dataset_name=five",
        f"--dataset_dir={five_class_digits}",
        f"--checkpoint_path={ten_class_lenet}",
        "--max_number_of_steps=60",
        "--optimizer=momentum",
    ]
    assert train.main([*flags, f"--train_dir={tmp_path / 'a'}"]) == 2
    err = capsys.readouterr().err
    assert "shapes differ for Logits/kernel: checkpoint (1024, 10), net (1024, 5)" in err
    assert "--checkpoint_exclude_scopes=Logits" in err

    assert train.main([*flags, f"--train_dir={tmp_path / 'b'}", "--checkpoint_exclude_scopes=Logits",
                       "--trainable_scopes=Logits,fc3"]) == 0  # fmt: skip
    assert "Fine-tuning from" in capsys.readouterr().out
    source = tf.train.load_checkpoint(checkpointing.resolve_checkpoint(ten_class_lenet))
    tuned = tf.train.load_checkpoint(str(tmp_path / "b" / "ckpt-60"))
    conv = "model/conv1/_kernel/.ATTRIBUTES/VARIABLE_VALUE"
    np.testing.assert_array_equal(source.get_tensor(conv), tuned.get_tensor(conv))  # frozen, taken over
    fc3 = "model/fc3/_kernel/.ATTRIBUTES/VARIABLE_VALUE"
    assert not np.array_equal(source.get_tensor(fc3), tuned.get_tensor(fc3))  # trained on
    assert eval_py.main([f"--checkpoint_path={tmp_path / 'b'}", "--dataset_split_name=validation"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["accuracy"] > 0.6  # chance is 0.2


def test_layers_that_start_from_weights_take_their_share_of_each_update(
    ten_class_lenet, five_class_digits, tmp_path
):
    flags = ["--dataset_name=five", f"--dataset_dir={five_class_digits}", "--max_number_of_steps=20",
             f"--checkpoint_path={ten_class_lenet}", "--checkpoint_exclude_scopes=Logits"]  # fmt: skip
    source, _, _ = assembly.load_net(ten_class_lenet)
    for run, multiplier, moved in (("frozen", "0", False), ("tenth", "0.1", True)):
        extra = [f"--pretrained_rate_multiplier={multiplier}"]
        assert train.main([*flags, f"--train_dir={tmp_path / run}", *extra]) == 0
        tuned, config, _ = assembly.load_net(str(tmp_path / run))
        assert config.optimizer.pretrained_rate_multiplier == float(multiplier)
        for layer in ("conv1", "fc3"):
            same = np.array_equal(getattr(source, layer).kernel.numpy(), getattr(tuned, layer).kernel.numpy())
            assert same != moved, (run, layer)
        assert tuned.logits.kernel.shape == (1024, 5)  # new, at the full rate


def test_new_logits_start_at_zero_so_the_first_update_leaves_the_weights_that_came(
    ten_class_lenet, five_class_digits, tmp_path
):
    """BiT's head: a random one's first gradients carry its noise into the layers from the checkpoint."""
    flags = [
        "--dataset_name=five",
        f"--dataset_dir={five_class_digits}",
        "--max_number_of_steps=1",
        "--weight_decay=0",
        f"--checkpoint_path={ten_class_lenet}",
        "--checkpoint_exclude_scopes=LeNet/fc4",
    ]  # fmt: skip  (TF-Slim's name of the logits)
    source, _, _ = assembly.load_net(ten_class_lenet)
    for how, extra in (("zeros", []), ("random", []), ("zeros", ["--trainable_scopes=fc3"])):
        train_dir = str(tmp_path / f"{how}{len(extra)}")
        assert train.main([*flags, f"--train_dir={train_dir}", f"--new_logits={how}", *extra]) == 0
        tuned, _, _ = assembly.load_net(train_dir)
        kept = np.array_equal(source.fc3.kernel.numpy(), tuned.fc3.kernel.numpy())
        # Trained logits moved off zero; frozen ones kept their random start, which fc3 then learns to serve.
        assert kept == (how == "zeros" and not extra) and np.any(tuned.logits.kernel.numpy()), (how, extra)


def test_a_nets_recipe_fills_the_flags_not_given_and_belongs_to_its_optimizer(mnist_dir):
    import train_flags
    from datasets import mnist

    split = mnist.get_split("train", mnist_dir)

    def config(*flags):
        return train_flags.settings(train_flags.parse(None, ["--model_name=mobilenet_v2", *flags]), split)

    recipe = config()
    assert (recipe.optimizer.optimizer, recipe.optimizer.opt_epsilon) == ("rmsprop", 1.0)  # TF-Slim's RMSProp
    assert recipe.optimizer.learning_rate_decay_type == "cosine" and recipe.batch_norm_decay == 0.9
    assert config("--learning_rate=0.05").optimizer.opt_epsilon == 1.0  # the rest of the recipe stays
    adam = config("--optimizer=adam")  # another optimizer: its own defaults, not RMSProp's epsilon
    assert (adam.optimizer.opt_epsilon, adam.optimizer.learning_rate) == (1e-7, 0.01)
    assert adam.batch_norm_decay == 0.9  # not an optimizer setting: still the net's
