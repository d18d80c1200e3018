"""``python -m runner``: the same command as ``certrunner``."""

from runner.cli.main import main

main()
