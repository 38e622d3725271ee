"""Training controls: optimizers and learning-rate schedules, fine-tuning from a checkpoint."""
