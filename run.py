#!/usr/bin/env python3
"""The checkout's shim for the installed ``certrunner`` command: ``python run.py ...``."""

from runner.cli.main import main

if __name__ == "__main__":
    main()
