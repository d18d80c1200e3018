"""The parts of certrunner that come with an extra, and the error when one is missing.

The core install (the command line, the engine, the pages) needs no web framework, queue or
database driver; ``certrunner serve`` needs ``[service]``, the workers ``[queue]``, a
PostgreSQL store ``[postgres]``, the built-in sandbox ``[sandbox]``. A command that reaches a
missing part says which extra to install instead of failing on an ImportError.
"""

from __future__ import annotations

import importlib.util

from runner.errors import ConfigError, ErrorCode

# extra -> the modules it brings (the first missing one is named)
EXTRAS: dict[str, tuple[str, ...]] = {
    "service": ("fastapi", "uvicorn", "mcp"),
    "queue": ("celery",),
    "postgres": ("psycopg",),
    "sandbox": ("flask", "PIL"),
}


def require(extra: str, what: str) -> None:
    """Raise a clear error when ``extra`` is not installed; ``what`` names the need."""
    for module in EXTRAS[extra]:
        try:
            missing = importlib.util.find_spec(module) is None
        except ImportError:  # a parent package that is itself missing or broken
            missing = True
        if missing:
            raise ConfigError(f"{what} needs certrunner's [{extra}] extra ({module} is not "
                              f"installed): pip install 'certrunner[{extra}]'",
                              ErrorCode.EXTRA_MISSING, extra=extra)
