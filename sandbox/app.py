"""The Flask app factory: one app serving every console under its own path prefix."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, jsonify, request
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.exceptions import HTTPException

from sandbox import api, faults, geotrust, mail, pm, portal, seed, symantec, web
from sandbox.times import Clock, SystemClock

ERROR_TEXT = {
    404: "The page you asked for does not exist.",
    500: "Something went wrong on our side. Please try again later.",
    503: "This service is temporarily unavailable. Please try again later.",
}


class _SharedTemplateCode(BytecodeCache):
    """Compiled templates shared by every app in the process (tests build one app per test)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _SharedTemplateCode()


def create_app(db_path: Path, clock: Clock | None = None) -> Flask:
    """Build the sandbox app on ``db_path`` (created and seeded on first use).

    ``clock`` replaces the real time everywhere (seeding, sessions, captcha, mail delivery)
    so tests move time instead of waiting.
    """
    app = Flask(__name__)
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _TEMPLATE_CODE}
    app.config.update(
        SANDBOX_DB=Path(db_path),
        SANDBOX_CLOCK=clock or SystemClock(),
        SYMANTEC_USERNAME=os.environ.get("SANDBOX_SYMANTEC_USERNAME", "partner"),
        SYMANTEC_PASSWORD=os.environ.get("SANDBOX_SYMANTEC_PASSWORD", "sandbox-password"),
    )
    seed.prepare(Path(db_path), app.config["SANDBOX_CLOCK"].now())
    for blueprint in (pm.bp, symantec.bp, geotrust.bp, mail.bp, portal.bp, api.bp):
        app.register_blueprint(blueprint)
    app.before_request(_inject_faults)
    app.after_request(_hold_answer)
    app.teardown_appcontext(web.close_conn)
    app.context_processor(web.template_context)
    app.register_error_handler(HTTPException, _http_error)
    app.add_url_rule("/", "index", _index)
    return app


def _inject_faults() -> tuple[str, int] | None:
    """Console requests first go through the switched-on faults; /sandbox/* never does."""
    name = web.console()
    if name is None:
        return None
    status = faults.inject(web.conn(), name, web.current_faults(), request.method)
    return _error_page(status) if status else None


def _hold_answer(response: Response) -> Response:
    if web.console() is not None:
        faults.hold_answer(web.current_faults(), request.method)
    return response


def _error_page(status: int) -> tuple[str, int]:
    title = {404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error",
             503: "Service Unavailable"}.get(status, "Error")
    return web.page("error.html", status, title=title, message=ERROR_TEXT.get(status, ""))


def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
    if request.path.startswith("/sandbox/"):
        response = jsonify(error=exc.description)
        response.status_code = exc.code or 500
        return response
    return _error_page(exc.code or 500)


def _index() -> tuple[str, int]:
    """A start page for a person exploring the sandbox."""
    return web.page("index.html", consoles=[
        ("Product Management", "/pm/"), ("Symantec Partner Center", "/symantec/"),
        ("GeoTrust End User Home", "/geotrust/"), ("Outbox", "/mail/"),
    ])
