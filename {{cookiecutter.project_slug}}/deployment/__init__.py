"""Deployment: how TensorFlow starts, where a model runs, how it is saved and restored."""
