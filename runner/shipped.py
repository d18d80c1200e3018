"""Where the shipped YAML lives: ``flows/`` and ``config/`` at the top of a checkout, and inside
the package's own namespace (``runner/_shipped/``) in an installed wheel.

An operator looks for the shipped flows and config at the top of the repository; an installed
wheel must not put generic ``flows`` or ``config`` names into site-packages, so the build maps
the two folders under ``runner._shipped`` (pyproject.toml, ``package-dir``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_shipped"
_CHECKOUT = Path(__file__).resolve().parent.parent


def shipped(folder: str) -> Path:
    """The shipped ``flows`` or ``config`` folder, installed or in a checkout."""
    packaged = _PACKAGED / folder
    return packaged if packaged.is_dir() else _CHECKOUT / folder


FLOWS_DIR = shipped("flows")
CONFIG_DIR = shipped("config")
