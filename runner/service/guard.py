"""What every request passes before any route (the MCP endpoint included): the bearer token
and the body size limit. Pure ASGI, so both cover mounted apps and streamed bodies alike."""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runner.error_codes import ErrorCode

OPEN_PATHS = ("/health", "/ready")


async def _reply(send: Send, status: int, code: ErrorCode, message: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"status": "failed", "error": {"kind": str(code.kind), "code": str(code),
                                                     "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app: ASGIApp, token: str | None, max_body_bytes: int) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.expected and scope["path"] not in OPEN_PATHS and not hmac.compare_digest(
                headers.get(b"authorization", b""), self.expected):
            await _reply(send, 401, ErrorCode.UNAUTHORIZED, "a valid bearer token is required "
                         "(Authorization: Bearer $CERTRUNNER_API_TOKEN)",
                         [(b"www-authenticate", b'Bearer realm="certrunner"')])
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
