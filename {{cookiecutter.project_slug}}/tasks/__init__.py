"""Tasks: what a model is for (classification, regression, ...), one module each, found by tasks_factory."""
