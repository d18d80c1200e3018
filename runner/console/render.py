"""Rendering the console's pages: the templates, their shared context, and small filters
(ages, times, status colours) so that templates hold no logic worth testing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from runner.app.people import Actor
from runner.console.auth import Auth
from runner.console.sessions import CSRF_FIELD

TEMPLATES = Path(__file__).parent / "templates"
STATUS_TONE = {"succeeded": "good", "denied": "info", "waiting": "info", "needs_input": "warn",
               "running": "info", "queued": "info", "failed": "bad", "abandoned": "muted"}


def age(delta: timedelta | None) -> str:
    """``3 min``, ``2 h 5 min``, ``4 days``: how long a person has kept it waiting."""
    if delta is None:
        return ""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def when(value: datetime | str | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def until(value: str | None, now: datetime) -> str:
    """Time left before ``value`` (an ISO time), or "expired"."""
    if not value:
        return ""
    left = datetime.fromisoformat(value) - now
    return "expired" if left <= timedelta() else age(left)


def file_name(path: str) -> str:
    return Path(path).name


class Pages:
    def __init__(self, auth: Auth) -> None:
        self.auth = auth
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        env = self.templates.env
        env.filters.update(age=age, when=when, file_name=file_name)
        env.globals.update(tone=lambda s: STATUS_TONE.get(str(s), "info"),
                           csrf_field=CSRF_FIELD,
                           left=lambda value: until(value, datetime.now(UTC)))

    def render(self, request: Request, template: str, actor: Actor | None, status: int = 200,
               **context: Any) -> Response:
        response = self.templates.TemplateResponse(
            request, template, {"actor": actor, "csrf": self.auth.csrf_token(request),
                            "now": datetime.now(UTC), **context}, status_code=status)
        return self.auth.finish(request, response)
