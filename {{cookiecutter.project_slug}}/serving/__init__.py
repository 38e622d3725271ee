"""Serving: the functions that answer requests (``endpoints``), and the SavedModel and TFLite files
export.py writes from them (``saved_model``)."""
