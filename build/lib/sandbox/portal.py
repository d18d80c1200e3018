"""The customer's user portal, entered through the link in the access email."""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, redirect, request, url_for
from werkzeug.wrappers import Response

from sandbox import mailstore, orders, web
from sandbox.orders import Order

bp = Blueprint("portal", __name__, url_prefix="/portal")
COOKIE = "portal_session"
STATUS_TEXT = {"pending_setup": "Awaiting setup", "issued": "Active",
               "cancelled": "Cancelled", "refunded": "Cancelled"}
CANCELLABLE = frozenset({"pending_setup", "issued"})


@bp.get("/login/<token>")
def login(token: str) -> Response:
    """The email link: start a portal session for its order and go to the portal home."""
    order_id = mailstore.order_for_token(web.conn(), token)
    if order_id is None:
        abort(404)
    session_id = mailstore.open_portal_session(web.conn(), order_id, web.now())
    response = redirect(url_for("portal.home"))
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="Lax", path="/")
    return response


@bp.before_request
def require_session() -> tuple[str, int] | None:
    """Everything but the login link needs the portal session cookie."""
    if request.endpoint == "portal.login":
        return None
    order_id = mailstore.portal_order(web.conn(), request.cookies.get(COOKIE, ""))
    found = orders.by_id(web.conn(), order_id) if order_id else None
    if found is None:
        return web.page("error.html", 401, title="Please sign in",
                        message="Open the link in your access email to sign in.")
    g.portal_order = found
    return None


def _home(notice: str | None = None) -> tuple[str, int]:
    order: Order = orders.by_id(web.conn(), g.portal_order.order_id) or g.portal_order
    return web.page("portal_home.html", order=order, cert_status=STATUS_TEXT[order.state],
                    notice=notice)


@bp.get("/")
def home() -> tuple[str, int]:
    """Your certificate: Renew, Reissue, Cancel Certificate (in the middle), Download."""
    return _home()


@bp.post("/renew")
def renew() -> tuple[str, int]:
    """Renewal is out of scope here; say so without changing anything."""
    return _home("Renewal requested. We will email you when your renewal is ready.")


@bp.post("/reissue")
def reissue() -> tuple[str, int]:
    """Reissue is out of scope here; say so without changing anything."""
    return _home("Reissue requested. We will email you when your new certificate is ready.")


@bp.get("/download")
def download() -> Response:
    """A placeholder PEM file for the certificate."""
    order: Order = g.portal_order
    pem = (f"-----BEGIN CERTIFICATE-----\nU0FOREJPWCBDRVJUSUZJQ0FURSBGT1Ig{order.domain}\n"
           "-----END CERTIFICATE-----\n")
    response = make_response(pem)
    response.headers["Content-Type"] = "application/x-pem-file"
    response.headers["Content-Disposition"] = f'attachment; filename="{order.domain}.pem"'
    return response


@bp.post("/cancel")
def cancel() -> tuple[str, int]:
    """Ask for confirmation before cancelling."""
    return web.page("portal_confirm.html", order=g.portal_order)


@bp.post("/cancel/confirm")
def cancel_confirm() -> tuple[str, int]:
    """Cancel the certificate; Product Management then shows it ``cancelled``."""
    orders.set_state(web.conn(), g.portal_order.order_id, "cancelled", only_from=CANCELLABLE)
    return _home("Your certificate has been cancelled")
