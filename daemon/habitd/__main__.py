"""``python -m habitd``: the command line, as the ``habitd`` script runs it."""

from habitd.cli.app import script

script()
