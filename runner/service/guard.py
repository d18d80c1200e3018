"""What every request passes before any route (the MCP endpoint included): the bearer token
and the body size limit. Pure ASGI, so both cover mounted apps and streamed bodies alike.

A bearer token is the shared ``CERTRUNNER_API_TOKEN`` (for machines) or an operator's own token
(``certrunner operators add``): the operator becomes the request's actor
(``scope["state"]["actor"]``), and a viewer's token only reads (GET). The console's pages and
the API's documentation pass without a bearer token: the console signs its operators in with a
session of its own, and the documentation holds no data.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runner.app.people import Actor
from runner.error_codes import ErrorCode

OPEN_PATHS = ("/health", "/ready", "/", "/docs", "/openapi.json")
OPEN_PREFIXES = ("/console/", "/docs/")
READ_METHODS = ("GET", "HEAD")
Lookup = Callable[[str, str], Actor | None]  # (bearer token, door) -> the operator, or None


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path == "/console" or path.startswith(OPEN_PREFIXES)


async def _reply(send: Send, status: int, code: ErrorCode, message: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"status": "failed", "error": {"kind": str(code.kind), "code": str(code),
                                                     "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app: ASGIApp, token: str | None, max_body_bytes: int,
                 operators: Lookup | None = None) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.max_body = max_body_bytes
        self.operators = operators

    async def _actor(self, presented: bytes, path: str) -> Actor | None:
        """The operator a bearer token names (None for the shared token or no operator)."""
        if self.operators is None or not presented.startswith(b"Bearer "):
            return None
        if self.expected and hmac.compare_digest(presented, self.expected):
            return None
        token = presented[len(b"Bearer "):].decode("latin-1").strip()
        via = "mcp" if path.startswith("/mcp") else "http"
        if not token:
            return None
        return await anyio.to_thread.run_sync(self.operators, token, via)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        presented = headers.get(b"authorization", b"")
        path = scope["path"]
        actor = None if is_open(path) else await self._actor(presented, path)
        if actor is not None:
            if actor.role == "viewer" and scope["method"] not in READ_METHODS:
                await _reply(send, 403, ErrorCode.FORBIDDEN, f"{actor.name} is a viewer: a "
                             "viewer's token only reads (GET); answering, retrying, abandoning "
                             "and starting runs need an operator or an admin")
                return
            scope.setdefault("state", {})["actor"] = actor
        elif self.expected and not is_open(path) and not hmac.compare_digest(
                presented, self.expected):
            await _reply(send, 401, ErrorCode.UNAUTHORIZED, "a valid bearer token is required "
                         "(Authorization: Bearer $CERTRUNNER_API_TOKEN, or an operator's own "
                         "token)", [(b"www-authenticate", b'Bearer realm="certrunner"')])
            return
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_body:
            await _reply(send, 413, ErrorCode.BODY_TOO_LARGE,
                         f"request bodies are limited to {self.max_body} bytes")
            return
        body = await self._read(receive)
        if body is None:
            await _reply(send, 413, ErrorCode.BODY_TOO_LARGE,
                         f"request bodies are limited to {self.max_body} bytes")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None past the limit (a chunked body may not declare its size)."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
            return message
        return await receive()

    return replayed
