"""Operators and what their role lets them do: the one place a door asks "may this actor?".

A viewer reads; an operator also answers, confirms, retries, abandons and claims person-tasks;
an admin also manages operators. An actor with no role is trusted as the machine's owner: the
command line (whoever can run it can open the store anyway) and the service's shared
``CERTRUNNER_API_TOKEN``. A refusal says who asked, what for, and which role would do.
"""

from __future__ import annotations

import enum
from typing import Any

from runner.app.people import Actor
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.store.operators import Operator, Role
from runner.store.runs import RunStore


class Permission(enum.StrEnum):
    READ = "read"
    ANSWER = "answer"  # a captcha, a confirmation of a side effect
    RETRY = "retry"  # resume a failed or paused run without new inputs
    ABANDON = "abandon"
    CLAIM = "claim"
    MANAGE_OPERATORS = "manage_operators"


_ACTS = (Permission.ANSWER, Permission.RETRY, Permission.ABANDON, Permission.CLAIM)
ALLOWED: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.OPERATOR: frozenset({Permission.READ, *_ACTS}),
    Role.ADMIN: frozenset(Permission),
}
WHO_MAY = {Permission.READ: "any operator", Permission.MANAGE_OPERATORS: "an admin",
           **{p: "an operator or an admin" for p in _ACTS}}


def may(actor: Actor, permission: Permission) -> bool:
    return actor.role is None or permission in ALLOWED[Role(actor.role)]


def require(actor: Actor, permission: Permission) -> None:
    """Refuse, saying why, when the actor's role does not allow ``permission``."""
    if not may(actor, permission):
        raise InputError(f"{actor.name} is a {actor.role}: {WHO_MAY[permission]} may "
                         f"{permission.value.replace('_', ' ')}", ErrorCode.FORBIDDEN,
                         operator=actor.name, role=actor.role, action=str(permission))


def actor_of(operator: Operator, via: str) -> Actor:
    return Actor(operator.name, via, str(operator.role))


def add(store: RunStore, actor: Actor, name: str, role: str) -> dict[str, Any]:
    """The new operator with their token (shown once: only its hash is kept)."""
    require(actor, Permission.MANAGE_OPERATORS)
    operator, token = store.operators.add(name, Role(role), actor.name)
    store.decisions.record(actor.name, actor.via, "operator_add", None,
                           {"operator": name, "role": str(role)})
    return {"name": operator.name, "role": str(operator.role), "token": token}


def remove(store: RunStore, actor: Actor, name: str) -> dict[str, Any]:
    require(actor, Permission.MANAGE_OPERATORS)
    removed = store.operators.remove(name)
    store.decisions.record(actor.name, actor.via, "operator_remove", None,
                           {"operator": name, "role": str(removed.role)})
    return removed.to_dict()


def listing(store: RunStore, actor: Actor) -> list[dict[str, Any]]:
    require(actor, Permission.READ)
    return [o.to_dict() for o in store.operators.all()]


def bearer(store: RunStore, token: str, via: str) -> Actor | None:
    """The operator an API or MCP bearer token belongs to, as an actor of that door."""
    found = store.operators.by_token(token)
    return actor_of(found, via) if found else None


def sign_in(store: RunStore, name: str, token: str) -> Actor:
    found = store.operators.check(name.strip(), token.strip())
    if found is None:
        raise InputError("no operator has that name and token", ErrorCode.SIGN_IN_FAILED)
    return actor_of(found, "console")
