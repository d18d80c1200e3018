"""GeoTrust End User Home: domain, email and image number, then Request Access.

The browser is known by its ``geotrust_session`` cookie; the captcha and the verified order hang
off that session server-side, so a paused run resumes with nothing but its saved cookies.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, make_response, request

from sandbox import captcha, mailstore, orders, posts, web
from sandbox.captcha import Verdict
from sandbox.db import transaction
from sandbox.times import iso

bp = Blueprint("geotrust", __name__, url_prefix="/geotrust")
COOKIE = "geotrust_session"
ERRORS = {
    Verdict.INCORRECT: "The image number is incorrect",
    Verdict.EXPIRED: "The image number has expired",
}
NOT_FOUND = "We could not find a certificate for that domain and email address"
NOT_VERIFIED = "Please enter your domain, email address and image number first"


def _session() -> tuple[str, bool]:
    """This browser's session id, and whether it was just created (cookie to be set)."""
    sid = request.cookies.get(COOKIE, "")
    conn = web.conn()
    if sid and conn.execute("SELECT 1 FROM geotrust_sessions WHERE session_id = ?",
                            (sid,)).fetchone():
        return sid, False
    sid = secrets.token_urlsafe(18)
    with transaction(conn):
        conn.execute("INSERT INTO geotrust_sessions (session_id, created_at) VALUES (?, ?)",
                     (sid, iso(web.now())))
    return sid, True


def _home(sid: str, new: bool, status: int = 200, **context: str) -> Response:
    """The home page with the session's live challenge (same one on reload, else new)."""
    challenge = captcha.current(web.conn(), sid, web.now())
    body, code = web.page("geotrust_home.html", status, challenge=challenge, **context)
    response = make_response(body, code)
    if new:
        response.set_cookie(COOKIE, sid, httponly=True, samesite="Lax", path="/")
    return response


@bp.get("/")
def home() -> Response:
    """Domain, Email address, the image and the Image number textbox."""
    sid, new = _session()
    return _home(sid, new)


@bp.get("/captcha/<challenge_id>.png")
def captcha_image(challenge_id: str) -> Response:
    """The challenge image, byte for byte as drawn (so its SHA-256 can be looked up)."""
    data = captcha.png(web.conn(), challenge_id)
    if data is None:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/")
def verify() -> Response:
    """Check the image number (using it up), then the domain and admin email."""
    sid, new = _session()
    domain = request.form.get("domain", "").strip()
    email = request.form.get("email", "").strip()
    verdict = captcha.check(web.conn(), sid, request.form.get("challenge_id"),
                            request.form.get("image_number", ""), web.now())
    if verdict is not Verdict.CORRECT:
        return _home(sid, new, 400, error=ERRORS[verdict], domain=domain, email=email)
    order = orders.active_for(web.conn(), domain, email)
    if order is None:
        return _home(sid, new, 404, error=NOT_FOUND, domain=domain, email=email)
    with transaction(web.conn()) as conn:
        conn.execute("UPDATE geotrust_sessions SET verified_order_id = ?, verified_email = ?"
                     " WHERE session_id = ?", (order.order_id, order.admin_email, sid))
    body, code = web.page("geotrust_request.html", domain=order.common_name)
    return make_response(body, code)


@bp.post("/request-access")
def request_access() -> Response:
    """Email the admin a portal link (delivered after ``mail_delay``); needs a verified session."""
    sid, new = _session()
    conn = web.conn()
    row = conn.execute("SELECT verified_order_id FROM geotrust_sessions WHERE session_id = ?",
                       (sid,)).fetchone()
    order = orders.by_id(conn, row["verified_order_id"]) if row["verified_order_id"] else None
    if order is None:
        return _home(sid, new, 400, error=NOT_VERIFIED)
    posts.count(conn, posts.REQUEST_ACCESS, order.order_id)
    mail = mailstore.send_access_mail(conn, order, web.now(), web.current_faults().mail_delay)
    with transaction(conn):
        conn.execute("UPDATE geotrust_sessions SET verified_order_id = NULL,"
                     " verified_email = NULL WHERE session_id = ?", (sid,))
    body, code = web.page("geotrust_done.html", email=mail.to)
    return make_response(body, code)
