"""Symantec Partner Center: login, server-side sessions and their expiry, Quick Search."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from runner.clock import FixedClock
from sandbox.seed import SEED_ORDERS
from sandbox.symantec import EXPIRED_TEXT
from tests.sandbox.browsing import HttpSession, log_in_symantec

MENU = ["Dashboard", "Quick Search", "Orders", "Log out"]


def test_login_page(web: HttpSession):
    view = web.get("/symantec/login").view
    assert view.h1 == ["Symantec Partner Center"]
    assert view.textboxes == ["Username", "Password"] and view.buttons == ["Log in"]
    assert view.alerts == []


def test_login_lands_on_dashboard_with_menu(web: HttpSession):
    page = log_in_symantec(web)
    assert page.url.endswith("/symantec/") and page.view.h1 == ["Partner Dashboard"]
    assert page.view.nav("Main menu") == MENU
    assert web.cookie("symantec_session")


def test_wrong_password(web: HttpSession):
    page = log_in_symantec(web, password="nope")
    assert page.view.h1 == ["Symantec Partner Center"]
    assert page.view.alerts == ["Invalid username or password"]
    assert web.cookie("symantec_session") is None


def test_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path, clock):
    from sandbox.app import create_app

    monkeypatch.setenv("SANDBOX_SYMANTEC_USERNAME", "ops")
    monkeypatch.setenv("SANDBOX_SYMANTEC_PASSWORD", "s3cret")
    client = create_app(tmp_path / "env.db", clock).test_client()
    refused = client.post("/symantec/login", data={"username": "partner",
                                                   "password": "sandbox-password"})
    assert b"Invalid username or password" in refused.data
    accepted = client.post("/symantec/login", data={"username": "ops", "password": "s3cret"})
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/symantec/"


def test_no_cookie_redirects_to_login_without_expired(web: HttpSession):
    page = web.get("/symantec/quick-search", follow=False)
    assert page.status == 302
    location = urlsplit(page.headers["Location"])
    assert location.path == "/symantec/login"
    assert parse_qs(location.query) == {"next": ["/symantec/quick-search"]}


def test_login_returns_to_next(web: HttpSession):
    login = web.get("/symantec/orders/PO-7700001")
    assert login.view.h1 == ["Symantec Partner Center"]
    next_field = login.view.field("next")
    page = web.post("/symantec/login", {"username": "partner", "password": "sandbox-password",
                                        "next": next_field.attrs["value"]})
    assert page.view.h1 == ["Order Information"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/pm/"])
def test_login_never_redirects_off_the_console(web: HttpSession, target: str):
    page = web.post("/symantec/login", {"username": "partner", "password": "sandbox-password",
                                        "next": target}, follow=False)
    assert page.headers["Location"] == "/symantec/"


def test_session_expires_after_session_ttl(web: HttpSession, clock: FixedClock):
    web.request("POST", "/sandbox/faults", json_body={"session_ttl": 60})
    log_in_symantec(web)
    clock.advance(timedelta(seconds=59))
    assert web.get("/symantec/quick-search").view.h1 == ["Quick Search"]
    clock.advance(timedelta(seconds=59))  # still alive: every request renews the session
    assert web.get("/symantec/quick-search").view.h1 == ["Quick Search"]
    clock.advance(timedelta(seconds=61))
    expired = web.get("/symantec/quick-search", follow=False)
    query = parse_qs(urlsplit(expired.headers["Location"]).query)
    assert query == {"next": ["/symantec/quick-search"], "expired": ["1"]}
    assert web.cookie("symantec_session") is None  # the stale cookie is dropped
    login = web.get(expired.headers["Location"])
    assert login.view.h1 == ["Symantec Partner Center"]
    assert login.view.alerts == [EXPIRED_TEXT] == ["Your session has expired. Please log in again."]


def test_shortening_session_ttl_cuts_existing_sessions(web: HttpSession, clock: FixedClock):
    log_in_symantec(web)
    web.request("POST", "/sandbox/faults", json_body={"session_ttl": 5})
    clock.advance(timedelta(seconds=6))
    assert web.get("/symantec/").view.alerts == [EXPIRED_TEXT]


def test_log_out_ends_the_session(web: HttpSession):
    dashboard = log_in_symantec(web)
    web.get(dashboard.view.link("Log out"))
    page = web.get("/symantec/")
    assert page.view.h1 == ["Symantec Partner Center"] and page.view.alerts == []


def test_quick_search_opens_order_information(web: HttpSession):
    log_in_symantec(web)
    search = web.get(web.get("/symantec/").view.link("Quick Search")).view
    assert search.h1 == ["Quick Search"] and search.nav("Main menu") == MENU
    assert search.textboxes == ["Partner Order ID"] and search.buttons == ["Search"]
    page = web.post("/symantec/quick-search", {"partner_order_id": " po-7700001 "})
    assert page.url.endswith("/symantec/orders/PO-7700001")
    assert page.view.h1 == ["Order Information"]
    assert page.view.terms == {
        "Partner Order ID": "PO-7700001", "Common Name": "fresh-issued.example",
        "Admin Email": "admin@fresh-issued.example", "Order Status": "Complete",
        "Product": "GeoTrust QuickSSL Premium",
    }


def test_quick_search_not_found(web: HttpSession):
    log_in_symantec(web)
    page = web.post("/symantec/quick-search", {"partner_order_id": "PO-1234567"})
    assert page.view.h1 == ["Quick Search"]
    assert page.view.alerts == ["No order found for PO-1234567"]


def test_orders_page_lists_partner_orders(web: HttpSession):
    log_in_symantec(web)
    page = web.get(web.get("/symantec/").view.link("Orders")).view
    header, rows = page.table("Partner orders")
    assert header[:2] == ["Partner Order ID", "Common Name"] and len(rows) == len(SEED_ORDERS)
