"""The command-line layer shared by the entry points.

* ``startup``: TensorFlow imported once, without its start-up banner.
  Importing this package does it, so entry points import from ``cli`` before
  anything that imports TensorFlow; ruff's isort keeps ``cli`` imports in a
  section of their own above the third-party ones (see ``pyproject.toml``).
* ``flags``: flag groups shared by the entry points (dataset, checkpoint,
  devices), value checks done at parse time, and config files
  (``--config=FILE`` in YAML or JSON, ``--flagfile=FILE``).
* ``train_flags``: train.py's own flags, and the typed settings made from them.
* ``runner``: turns expected failures into ``error: ...`` and exit status 2.
* ``progress``: a progress bar on a terminal, plain lines elsewhere.

Only entry points and this package see an ``argparse.Namespace``; everything
below it takes typed settings.
"""

from cli.startup import start

start()
