"""Who is signed in to the console, and the CSRF check every form passes.

Each request reads the operator from the store again: a removed operator, or one given a new
token, is signed out at once (the session's fingerprint no longer matches).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runner.app.operators import actor_of
from runner.app.people import Actor
from runner.console.sessions import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    Signer,
    fingerprint,
    new_csrf_cookie,
)
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.store.runs import RunStore


class Auth:
    def __init__(self, signer: Signer, secure: bool) -> None:
        self.signer = signer
        self.secure = secure

    def actor(self, request: Request, store: RunStore) -> Actor | None:
        session = self.signer.session(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return None
        found = store.operators.get(session.name)
        if found is None or fingerprint(found.token_hash) != session.fingerprint:
            return None
        return actor_of(found, "console")

    def csrf_cookie(self, request: Request) -> str:
        """This browser's CSRF cookie value (a new one if it has none yet: see ``finish``)."""
        value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
        if not value:
            value = request.state.new_csrf = new_csrf_cookie()
        return str(value)

    def csrf_token(self, request: Request) -> str:
        return self.signer.csrf_token(self.csrf_cookie(request))

    def check_csrf(self, request: Request, form: Mapping[str, Any]) -> None:
        given = form.get(CSRF_FIELD)
        if not self.signer.csrf_ok(request.cookies.get(CSRF_COOKIE),
                                   given if isinstance(given, str) else None):
            raise InputError("this form came without its CSRF token (or with an old one): "
                             "reload the page and submit it again", ErrorCode.CSRF_FAILED)

    def _cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                            secure=self.secure, path="/")

    def finish(self, request: Request, response: Response) -> Response:
        """Set the CSRF cookie the page's forms were signed for, if it was new."""
        new = getattr(request.state, "new_csrf", None)
        if new:
            self._cookie(response, CSRF_COOKIE, new, None)
        return response

    def sign_in(self, response: Response, name: str, token_hash: str) -> None:
        self._cookie(response, SESSION_COOKIE, self.signer.session_cookie(name, token_hash),
                     12 * 3600)

    def sign_out(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                               secure=self.secure)
