"""The mail catcher: an outbox of access emails that have been delivered."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from sandbox import mailstore, web

bp = Blueprint("mail", __name__, url_prefix="/mail")


@bp.get("/")
def inbox() -> tuple[str, int]:
    """Delivered mails only: To, Subject (a link), Sent."""
    return web.page("mail_inbox.html", mails=mailstore.delivered(web.conn(), web.now()))


@bp.get("/<int:mail_id>")
def message(mail_id: int) -> tuple[str, int]:
    """One mail; the only link, at the bottom, opens the user portal."""
    mail = mailstore.delivered_one(web.conn(), mail_id, web.now())
    if mail is None:
        abort(404)
    return web.page("mail_message.html", mail=mail, paragraphs=mail.body.split("\n\n"))


@bp.get("/api/messages")
def messages_json() -> Response:
    """Delivered mails as JSON, links absolute on this server."""
    base = request.host_url.rstrip("/")
    return jsonify([m.to_json(base) for m in mailstore.delivered(web.conn(), web.now())])
