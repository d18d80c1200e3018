"""Who holds a run: lease owners, and whether the process behind one is still alive.

A lease has an expiry, but a process that died on this host can be told at once: its owner
name carries the pid. Another host's owner is trusted until its lease expires.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from typing import Any


def new_run_id() -> str:
    return f"run-{secrets.token_hex(6)}"


def default_owner() -> str:
    """``host:pid:nonce``: the pid lets a later process on this host see that the owner died."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def owner_dead(owner: str) -> bool:
    """True only when the owner is a process on this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def held(row: Mapping[str, Any], now: str) -> bool:
    """A lease a live owner holds: set, not expired, and its process (if local) still there."""
    owner, expires = row["lease_owner"], row["lease_expires_at"]
    return (owner is not None and expires is not None and expires > now
            and not owner_dead(owner))
