"""A throwaway state home for a benchmark that runs the warm service in its own process.

Every path the service writes (its store, artifacts, the built-in sandbox's database) goes under
``scratch``, and a ``SANDBOX_URL`` from the caller's shell is dropped, so the service starts the
built-in sandbox against that database. With ``trace_on_failure``, a copy of the shipped config
turns the always-on Playwright trace back on: what that evidence cost every run.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use(scratch: str, trace_on_failure: bool = False) -> None:
    """Point this process's runner and sandbox at ``scratch`` (see the module's docstring)."""
    os.environ.update(SANDBOX_DB=f"{scratch}/sandbox.db", CERTRUNNER_HOME=scratch,
                      CERTRUNNER_STORE=f"{scratch}/runs.db",
                      CERTRUNNER_ARTIFACTS=f"{scratch}/artifacts")
    os.environ.pop("SANDBOX_URL", None)
    if trace_on_failure:
        config = Path(scratch) / "config.yaml"
        config.write_text((ROOT / "config" / "default.yaml").read_text().replace(
            "  read_retries:", "  trace_on_failure: true\n  read_retries:"))
        os.environ["CERTRUNNER_CONFIG"] = str(config)
