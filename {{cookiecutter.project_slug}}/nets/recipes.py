"""Training recipes: train.py flag values a net's record uses where the flag is not given.

Measured with benchmarks/zoo.py (500 steps at batch 32 from scratch on real
digits; the README has the table). All but TF-Slim's SGD warm up and then
follow a cosine to the run's last step (give --max_number_of_steps), which is
what made short runs land.

From weights (--checkpoint_path, --pretrained) a net takes the same recipe
with its new logits at zero (--new_logits=zeros, BiT's head,
``training.fine_tuning.start_new_logits``): ahead of both the random head
and training from scratch in benchmarks/fine_tuning.py (the README has the
table); a tenth of the rate for the layers that came with the weights lost
there.
"""

SGD = {"optimizer": "momentum", "learning_rate": 0.01}  # LeNet, CifarNet: TF-Slim's, as they were
# With batch norm, whose moving statistics (what eval and serving use) keep up with short runs at
# PyTorch's decay of 0.9, not Keras' 0.99 or MobileNet v2's 0.999.
ADAM = {
    "optimizer": "adam",
    "learning_rate": 0.001,
    "warmup_epochs": 0.1,
    "learning_rate_decay_type": "cosine",
    "batch_norm_decay": 0.9,
}
# TF-Slim's RMSProp for the MobileNets: epsilon 1.0 is what kept it stable (Keras' 1e-7 jumped to
# losses of 10-30 in the first steps). TF-Slim trained Inception with it too; here Adam did better
# in short runs (0.97 against 0.93 eval accuracy in the zoo run).


RMSPROP = {**ADAM, "optimizer": "rmsprop", "learning_rate": 0.01, "opt_epsilon": 1.0, "momentum": 0.9,
           "rmsprop_decay": 0.9, "warmup_epochs": 0.2}  # fmt: skip
