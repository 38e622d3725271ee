"""Tasks: what a model is for (classification, regression, detection), one module and record each."""
