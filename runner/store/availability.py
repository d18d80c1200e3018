"""Which database errors mean "the store is away for a moment", and a way to say so.

Past one machine the store is a network service: a PostgreSQL restart, a failover or a cut
link drops every connection and refuses new ones for a while. Those errors are the runner's
``console``-like kind, transient: a drive waits for the store and goes on (``runner.engine
.outage``). A SQLite file is away only while another process keeps it locked past the busy
timeout, or its disk fails to answer. Anything else (a constraint, a bug in our SQL) is not an
outage and is never retried.
"""

from __future__ import annotations

import sqlite3
import sys

# SQLite's primary result codes that a later attempt may not meet: busy, locked, disk I/O
# error, cannot open (https://www.sqlite.org/rescode.html).
_SQLITE_TRANSIENT = frozenset({5, 6, 10, 14})


def transient(exc: BaseException) -> bool:
    """True when ``exc`` says the store did not answer, not that it refused."""
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is None or (code & 0xFF) in _SQLITE_TRANSIENT
    psycopg = sys.modules.get("psycopg")  # imported only by a PostgreSQL store
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)


def first_line(exc: BaseException) -> str:
    """The driver's message, first line only (libpq's run on with hints)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def closed(raw: object) -> bool:
    """A PostgreSQL connection the server or the network dropped (psycopg marks it closed);
    a SQLite connection is never dropped under us."""
    return bool(getattr(raw, "closed", False)) and not isinstance(raw, sqlite3.Connection)
