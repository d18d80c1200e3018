"""Operators of the console and the API: a name, a role, and their token kept only as a hash.

The token is 32 random bytes made here (``secrets.token_urlsafe(32)``), never a password a person
chose: with 256 bits of entropy there is nothing to guess, so a slow password hash (scrypt,
PBKDF2) buys no protection and would cost every API request a key derivation. A SHA-256 digest
is stored instead; it lets the HTTP guard find an operator by the bearer token alone with one
indexed lookup (``token_hash`` is unique), and a copy of the table gives nobody a usable token.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.store.db import Database, at, transaction

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HASH_PREFIX = "sha256:"


class Role(enum.StrEnum):
    VIEWER = "viewer"  # reads
    OPERATOR = "operator"  # also answers, confirms, retries, abandons, claims
    ADMIN = "admin"  # also manages operators


@dataclass(frozen=True)
class Operator:
    name: str
    role: Role
    token_hash: str
    created_at: datetime
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": str(self.role),
                "created_at": self.created_at.isoformat(), "created_by": self.created_by}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return HASH_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise InputError(f"operator name {name!r} is not allowed: 1-64 letters, digits, dots, "
                         "dashes or underscores, starting with a letter or digit",
                         ErrorCode.OPERATOR_NAME_INVALID)
    return name


class Operators:
    """The operators table on the store's connection (``RunStore.operators``)."""

    def __init__(self, db: Database, now: Callable[[], str]) -> None:
        self.db = db
        self._now = now

    def add(self, name: str, role: Role, created_by: str) -> tuple[Operator, str]:
        """A new operator and their token, which is shown this once and never stored."""
        check_name(name)
        token = new_token()
        with transaction(self.db) as db:
            row = db.execute("INSERT INTO operators (name, role, token_hash, created_at, "
                             "created_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING "
                             "RETURNING *", (name, Role(role).value, token_hash(token),
                                             self._now(), created_by)).fetchone()
        if row is None:
            raise InputError(f"an operator named {name!r} exists already (remove it first to "
                             "give a new token)", ErrorCode.OPERATOR_EXISTS)
        return _operator(row), token

    def get(self, name: str) -> Operator | None:
        row = self.db.execute("SELECT * FROM operators WHERE name = ?", (name,)).fetchone()
        return _operator(row) if row else None

    def all(self) -> list[Operator]:
        return [_operator(r) for r in
                self.db.execute("SELECT * FROM operators ORDER BY name").fetchall()]

    def by_token(self, token: str) -> Operator | None:
        """The operator whose token this is (the HTTP API's bearer token)."""
        digest = token_hash(token)
        row = self.db.execute("SELECT * FROM operators WHERE token_hash = ?",
                              (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row["token_hash"], digest):
            return None
        return _operator(row)

    def check(self, name: str, token: str) -> Operator | None:
        """Sign-in: the operator when the name and the token belong together."""
        found = self.get(name)
        if found is None or not hmac.compare_digest(found.token_hash, token_hash(token)):
            return None
        return found

    def remove(self, name: str) -> Operator:
        """Refused for the last admin, so that somebody can still manage operators."""
        with transaction(self.db) as db:
            row = db.execute("SELECT * FROM operators WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise InputError(f"no operator named {name!r}", ErrorCode.UNKNOWN_OPERATOR)
            if row["role"] == Role.ADMIN and db.execute(
                    "SELECT COUNT(*) AS n FROM operators WHERE role = ?",
                    (Role.ADMIN.value,)).fetchone()["n"] == 1 and self._others(db):
                raise InputError(f"{name} is the last admin; add another admin before removing "
                                 "this one", ErrorCode.LAST_ADMIN)
            db.execute("DELETE FROM operators WHERE name = ?", (name,))
        return _operator(row)

    @staticmethod
    def _others(db: Database) -> bool:
        """Operators besides admins exist (the very last operator of all may go)."""
        return db.execute("SELECT COUNT(*) AS n FROM operators WHERE role != ?",
                          (Role.ADMIN.value,)).fetchone()["n"] > 0


def _operator(row: Mapping[str, Any]) -> Operator:
    return Operator(row["name"], Role(row["role"]), row["token_hash"], at(row["created_at"]),
                    row["created_by"])
