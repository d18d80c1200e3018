"""Per-request helpers shared by the console blueprints: DB, clock, faults and page rendering."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, cast

from flask import current_app, g, render_template, request

from sandbox import db, faults
from sandbox.layouts import Layout
from sandbox.times import to_utc

BRANDS = {
    "pm": "Internal tools",
    "symantec": "Symantec",
    "geotrust": "GeoTrust",
    "mail": "Sandbox mail",
    "portal": "Certificate portal",
}


def conn() -> sqlite3.Connection:
    """This request's DB connection (opened on first use, closed at teardown)."""
    if "db" not in g:
        g.db = db.connect(current_app.config["SANDBOX_DB"])
    return cast(sqlite3.Connection, g.db)


def close_conn(_exc: BaseException | None = None) -> None:
    """Teardown hook: close the request's connection if one was opened."""
    found = g.pop("db", None)
    if found is not None:
        found.close()


def now() -> datetime:
    """The sandbox clock (injectable for tests), UTC."""
    return to_utc(current_app.config["SANDBOX_CLOCK"].now())


def current_faults() -> faults.Faults:
    """Faults in force for this request (loaded once per request)."""
    if "faults" not in g:
        g.faults = faults.load(conn())
    return cast(faults.Faults, g.faults)


def console() -> str | None:
    """The console serving this request (its blueprint name), if any."""
    return request.blueprint if request.blueprint in BRANDS else None


def page(template: str, http_status: int = 200, /, **context: Any) -> tuple[str, int]:
    """Render a console page with the layout in force (``http_status`` positional only)."""
    return render_template(template, **context), http_status


def template_context() -> dict[str, Any]:
    """Context processor: the layout helper and console brand every template uses."""
    name = console()
    layout = Layout(current_faults().layout if name else "normal")
    brand = BRANDS.get(name or "", "Sandbox")
    return {"layout": layout, "console": name or "sandbox", "brand": brand}
