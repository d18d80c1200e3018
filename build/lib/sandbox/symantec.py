"""Symantec Partner Center: login with server-side sessions, Quick Search, Order Information.

A session row expires after ``session_ttl`` seconds without use (the fault is read on every
request, so shortening it also cuts existing sessions short). A page asked for with a cookie
that is no longer valid redirects to the login page with ``expired=1``.
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from sandbox import orders, web
from sandbox.db import transaction
from sandbox.times import iso, parse_iso

bp = Blueprint("symantec", __name__, url_prefix="/symantec")
COOKIE = "symantec_session"
PUBLIC_ENDPOINTS = {"symantec.login", "symantec.login_submit", "symantec.logout"}
STATUS_TEXT = {"pending_setup": "Awaiting Setup", "issued": "Complete",
               "cancelled": "Cancelled", "refunded": "Cancelled"}
EXPIRED_TEXT = "Your session has expired. Please log in again."


def _session_user(conn: sqlite3.Connection, token: str, now: datetime, ttl: float) -> str | None:
    """The user behind a session cookie, refreshing its expiry; None (and deleted) if expired."""
    with transaction(conn):
        row = conn.execute("SELECT * FROM symantec_sessions WHERE token = ?", (token,)).fetchone()
        if row is None:
            return None
        idle = (now - parse_iso(row["last_seen_at"])).total_seconds()
        if now >= parse_iso(row["expires_at"]) or idle >= ttl:
            conn.execute("DELETE FROM symantec_sessions WHERE token = ?", (token,))
            return None
        conn.execute("UPDATE symantec_sessions SET last_seen_at = ?, expires_at = ?"
                     " WHERE token = ?", (iso(now), iso(now + timedelta(seconds=ttl)), token))
        return str(row["username"])


@bp.before_request
def require_session() -> Response | None:
    """Every page but login needs a valid session; otherwise back to login (expired=1 if so)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = request.cookies.get(COOKIE)
    user = None
    if token:
        user = _session_user(web.conn(), token, web.now(), web.current_faults().session_ttl)
    if user is not None:
        g.symantec_user = user
        return None
    params = {"next": request.full_path.rstrip("?")}
    if token:
        params["expired"] = "1"
    response = redirect(url_for("symantec.login") + "?" + urlencode(params))
    response.delete_cookie(COOKIE, path="/")
    return response


def _safe_next(target: str | None) -> str:
    """Only a Symantec page (never the login page, never another site) is a place to return to."""
    home = url_for("symantec.dashboard")
    if target and target.startswith(home) and not target.startswith(url_for("symantec.login")):
        return target
    return home


@bp.get("/login")
def login() -> tuple[str, int]:
    """The login form; ``expired=1`` adds the session-expired alert."""
    error = EXPIRED_TEXT if request.args.get("expired") == "1" else None
    return web.page("symantec_login.html", error=error, next=request.args.get("next", ""))


@bp.post("/login")
def login_submit() -> Response | tuple[str, int]:
    """Check credentials, open a session row, go to ``next`` (a Symantec page) or home."""
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    cfg = current_app.config
    user_ok = hmac.compare_digest(username.encode(), cfg["SYMANTEC_USERNAME"].encode())
    password_ok = hmac.compare_digest(password.encode(), cfg["SYMANTEC_PASSWORD"].encode())
    if not (user_ok and password_ok):
        return web.page("symantec_login.html", error="Invalid username or password",
                        next=request.form.get("next", ""), username=username)
    token, now = secrets.token_urlsafe(24), web.now()
    expires = now + timedelta(seconds=web.current_faults().session_ttl)
    with transaction(web.conn()) as conn:
        conn.execute("INSERT INTO symantec_sessions (token, username, created_at, last_seen_at,"
                     " expires_at) VALUES (?, ?, ?, ?, ?)",
                     (token, username, iso(now), iso(now), iso(expires)))
    response = redirect(_safe_next(request.form.get("next")), code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path="/")
    return response


@bp.get("/logout")
def logout() -> Response:
    """End the session and return to the login page."""
    token = request.cookies.get(COOKIE)
    if token:
        with transaction(web.conn()) as conn:
            conn.execute("DELETE FROM symantec_sessions WHERE token = ?", (token,))
    response = redirect(url_for("symantec.login"))
    response.delete_cookie(COOKIE, path="/")
    return response


@bp.get("/")
def dashboard() -> tuple[str, int]:
    """Partner Dashboard."""
    count = len(orders.all_orders(web.conn()))
    return web.page("symantec_dashboard.html", user=g.symantec_user, order_count=count)


@bp.get("/quick-search")
def quick_search() -> tuple[str, int]:
    """Quick Search form: one Partner Order ID textbox."""
    return web.page("symantec_quick_search.html")


@bp.post("/quick-search")
def quick_search_submit() -> Response | tuple[str, int]:
    """Find an order by partner order ID and open its Order Information page."""
    wanted = request.form.get("partner_order_id", "").strip().upper()
    if not wanted:
        return web.page("symantec_quick_search.html", 400, error="Enter a Partner Order ID")
    if orders.by_partner_id(web.conn(), wanted) is None:
        return web.page("symantec_quick_search.html", 404, error=f"No order found for {wanted}",
                        value=wanted)
    return redirect(url_for("symantec.order", partner_order_id=wanted), code=303)


@bp.get("/orders")
def order_list() -> tuple[str, int]:
    """Every partner order, newest first."""
    found = list(reversed(orders.all_orders(web.conn())))
    return web.page("symantec_orders.html", orders=found, status_text=STATUS_TEXT)


@bp.get("/orders/<partner_order_id>")
def order(partner_order_id: str) -> tuple[str, int]:
    """Order Information: common name and admin email are what the procedure needs."""
    found = orders.by_partner_id(web.conn(), partner_order_id)
    if found is None:
        abort(404)
    return web.page("symantec_order.html", order=found, order_status=STATUS_TEXT[found.state])
