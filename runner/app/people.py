"""Who decides: every decision a door passes to the application layer names its actor.

The console and the HTTP API know the signed-in operator; MCP knows the operator whose token the
agent uses; the command line takes ``--as NAME`` or ``CERTRUNNER_OPERATOR``, else the OS user.
The scheduler and the workers act as ``system`` (they only continue what a person or a ticket
started; they never decide for a person).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

OPERATOR_VAR = "CERTRUNNER_OPERATOR"


@dataclass(frozen=True)
class Actor:
    name: str
    via: str  # the door: cli, http, mcp, console, queue, scheduler
    role: str | None = None  # viewer | operator | admin, when an operator signed in


SYSTEM = Actor("system", "scheduler")


def cli_actor(as_name: str | None = None) -> Actor:
    """The person at the command line: ``--as``, else CERTRUNNER_OPERATOR, else the OS user."""
    name = as_name or os.environ.get(OPERATOR_VAR)
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (a container's bare uid)
            name = f"uid-{os.getuid()}"
    return Actor(name.strip() or "unknown", "cli")
