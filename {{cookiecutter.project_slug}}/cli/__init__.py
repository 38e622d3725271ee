"""The command-line layer shared by the entry points.

* ``startup``: TensorFlow imported once the flags are parsed (``--help`` and
  a refused flag answer without it), and without its start-up banner.
  Importing this package puts its stand-in in place, so entry points import
  from ``cli`` before anything that imports TensorFlow; ruff's isort keeps
  ``cli`` imports in a section of their own above the third-party ones (see
  ``pyproject.toml``).
* ``flags``: flag groups shared by the entry points (dataset, checkpoint,
  devices), value checks done at parse time, and config files
  (``--config=FILE`` in YAML or JSON, ``--flagfile=FILE``).
* ``runner``: turns expected failures into ``error: ...`` and exit status 2.
* ``progress``: a progress bar on a terminal, plain lines elsewhere.

Only the entry points, ``train_flags`` and ``cli.flags`` see argparse's
namespace; everything below them takes typed settings.
"""

from cli.startup import defer

defer()
