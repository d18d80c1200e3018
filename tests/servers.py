"""The servers some tests need (PostgreSQL, Redis), found on loopback, and what to do without.

These tests run whenever the servers answer. In CI (env ``CI`` set) they are required: a server
that does not answer fails the test instead of skipping it, so a CI run cannot pass without
them. Elsewhere they skip, and ``pytest -ra`` (``make test``) prints the reason.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get("CERTRUNNER_TEST_POSTGRES",
                              "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CERTRUNNER_TEST_REDIS", "redis://127.0.0.1:6379/0")


def unreachable(url: str) -> str | None:
    """Why nothing listens at the URL's host and port, or None when something does."""
    parts = urlsplit(url)
    port = parts.port or {"redis": 6379, "postgresql": 5432}.get(parts.scheme, 0)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=2):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def require(name: str, url: str) -> None:
    """Skip (or, in CI, fail) the calling test when the server does not answer."""
    why = unreachable(url)
    if why is None:
        return
    where = f"{name} at {urlsplit(url).hostname}:{urlsplit(url).port}"
    if os.environ.get("CI"):
        pytest.fail(f"{where} is required in CI and does not answer ({why})", pytrace=False)
    pytest.skip(f"{where} does not answer ({why}); start it to run this test")


def with_search_path(url: str, schema: str) -> str:
    """The URL with libpq's ``options`` setting the schema its tables go in."""
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema(prefix: str = "certrunner_test") -> Iterator[str]:
    """A fresh, empty schema in the test database, dropped afterwards; yields its URL."""
    import psycopg

    require("PostgreSQL", POSTGRES_URL)
    schema = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield with_search_path(POSTGRES_URL, schema)
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
