"""The console's sign-in session and its CSRF tokens, signed with a key kept in the state home.

The session cookie carries the operator's name, a fingerprint of their token's hash and an
expiry, signed with HMAC-SHA256. The key is a file in the state home (0600), so sessions survive
a restart of the service; every request reads the operator again, so removing an operator (or
giving them a new token) ends their sessions at once. The cookie is HttpOnly and
SameSite=Strict, and Secure when the service listens beyond loopback.

CSRF: a random ``certrunner_csrf`` cookie, and in every form a field that is that cookie's HMAC;
a POST whose field does not match is refused. One rule for the sign-in form and the rest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from runner.config.home import private_dir

SESSION_COOKIE = "certrunner_session"
CSRF_COOKIE = "certrunner_csrf"
CSRF_FIELD = "csrf"
SESSION_HOURS = 12
KEY_FILE = "console.key"


def load_key(home: Path) -> bytes:
    """The signing key, made on first use (owner-only, like everything in the home)."""
    path = private_dir(home) / KEY_FILE
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        try:
            with path.open("xb") as out:  # two processes at once: one writes, both read it
                out.write(key)
            path.chmod(0o600)
        except FileExistsError:
            key = path.read_bytes()
    return key


@dataclass(frozen=True)
class Session:
    name: str
    fingerprint: str  # the first characters of the operator's token hash
    expires: int


class Signer:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def _mac(self, purpose: str, data: bytes) -> str:
        digest = hmac.new(self.key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def session_cookie(self, name: str, token_hash: str) -> str:
        payload = json.dumps({"n": name, "f": fingerprint(token_hash),
                              "e": int(time.time()) + SESSION_HOURS * 3600}).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._mac('session', body.encode())}"

    def session(self, cookie: str | None) -> Session | None:
        """The session a cookie holds, or None (missing, forged, expired)."""
        if not cookie or "." not in cookie:
            return None
        body, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac("session", body.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            found = Session(str(data["n"]), str(data["f"]), int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return found if found.expires > time.time() else None

    def csrf_token(self, cookie: str) -> str:
        return self._mac("csrf", cookie.encode())

    def csrf_ok(self, cookie: str | None, given: str | None) -> bool:
        return bool(cookie and given) and hmac.compare_digest(
            self.csrf_token(str(cookie)), str(given))


def fingerprint(token_hash: str) -> str:
    return token_hash[-16:]


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)
