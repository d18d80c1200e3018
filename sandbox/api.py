"""``/sandbox/*``: JSON endpoints for tests and the runner (never subject to faults)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox import captcha, faults, orders, posts, seed, web
from sandbox.faults import FaultError
from sandbox.times import parse_iso

bp = Blueprint("sandbox_api", __name__, url_prefix="/sandbox")


def _bad_request(message: str) -> tuple[Response, int]:
    return jsonify(error=message), 400


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise FaultError("expected a JSON object")
    return data


@bp.get("/health")
def health() -> tuple[str, int, dict[str, str]]:
    """Liveness: 200 "ok" once the app and its DB are up."""
    web.conn().execute("SELECT 1")
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/faults")
def get_faults() -> Response:
    """The faults in force."""
    return jsonify(faults.load(web.conn()).to_json())


@bp.post("/faults")
def set_faults() -> Response | tuple[Response, int]:
    """Change some faults, e.g. ``{"error_rate": 0.5}``; ``{"reset": true}`` switches all off."""
    try:
        body = _json_body()
        if body.pop("reset", False):
            faults.reset(web.conn())
        return jsonify(faults.update(web.conn(), body).to_json())
    except FaultError as exc:
        return _bad_request(str(exc))


@bp.delete("/faults")
def reset_faults() -> Response:
    """Switch every fault off."""
    return jsonify(faults.reset(web.conn()).to_json())


@bp.get("/orders")
def list_orders() -> Response:
    """Orders as JSON, optionally ``?domain=`` (substring, as PM searches)."""
    domain = request.args.get("domain")
    found = orders.search(web.conn(), domain) if domain else orders.all_orders(web.conn())
    return jsonify([o.to_json() for o in found])


@bp.post("/orders")
def add_order() -> tuple[Response, int]:
    """Add an order: ``{"domain", "purchased_at", "state", "admin_email"?, "customer"?,
    "common_name"?}``."""
    body = request.get_json(silent=True) or {}
    try:
        order = orders.add_order(
            web.conn(), domain=str(body.get("domain", "")),
            purchased_at=parse_iso(str(body.get("purchased_at", ""))),
            state=str(body.get("state", "")), admin_email=body.get("admin_email"),
            customer=body.get("customer"), common_name=body.get("common_name"))
    except ValueError as exc:  # OrderError, or a bad timestamp
        return _bad_request(str(exc))
    return jsonify(order.to_json()), 201


@bp.get("/refunds")
def list_refunds() -> Response:
    """Every refund row (``?order_id=`` or ``?domain=`` to filter): count them to catch doubles."""
    found = orders.refunds(web.conn(), request.args.get("order_id"), request.args.get("domain"))
    return jsonify([r.to_json() for r in found])


@bp.get("/posts")
def list_posts() -> Response | tuple[Response, int]:
    """Side-effecting POSTs that reached the consoles for ``?order_id=``, and its access mails:
    the sandbox answers a second refund POST kindly, so count POSTs to catch a double click."""
    order_id = request.args.get("order_id")
    if not order_id:
        return _bad_request("order_id is required")
    return jsonify(posts.for_order(web.conn(), order_id))


@bp.get("/captcha/<sha256>")
def solve_captcha(sha256: str) -> Response | tuple[Response, int]:
    """The answer for a captcha image the sandbox drew, by the SHA-256 of its bytes."""
    answer = captcha.solve(web.conn(), sha256)
    if answer is None:
        return jsonify(error="unknown image"), 404
    return jsonify(answer=answer)


@bp.post("/reset")
def reset() -> Response:
    """Re-create and reseed the DB in place (between tests on a shared server)."""
    seed.reset(current_app.config["SANDBOX_DB"], web.now())
    return jsonify(status="reset")
