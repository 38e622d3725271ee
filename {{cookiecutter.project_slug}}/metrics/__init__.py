"""Metrics that eval.py reports beyond TensorFlow's own."""
