"""Access mail (with its delivery delay) and the customer's portal cancel, seen back in PM."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from runner.clock import FixedClock
from tests.sandbox.browsing import HttpSession, request_access, text

EMAIL = "admin@fresh-issued.example"


def inbox(web: HttpSession) -> list[list[str]]:
    header, rows = web.get("/mail/").view.table("Messages")
    assert header == ["To", "Subject", "Sent"]
    return rows


def portal_link(web: HttpSession) -> str:
    message = web.get(web.get("/mail/").view.link("Access to your GeoTrust user portal"))
    links = message.view.links
    assert [text for text, _ in links] == ["Open your user portal"]  # the only link in the mail
    return links[0][1]


def test_request_access_confirms_and_mails_the_admin(web: HttpSession, clock: FixedClock):
    done = request_access(web, "fresh-issued.example", EMAIL)
    assert done.view.statuses == [
        f"An email with a link to your user portal has been sent to {EMAIL}"]
    assert inbox(web) == [[EMAIL, "Access to your GeoTrust user portal", clock.now().isoformat()]]
    message = web.get(web.get("/mail/").view.link("Access to your GeoTrust user portal")).view
    assert message.h1 == ["Access to your GeoTrust user portal"]
    assert "fresh-issued.example" in text(message.soup.main)
    [(label, href)] = message.links
    assert label == "Open your user portal" and href.startswith("/portal/login/")
    order_id = web.get("/sandbox/orders?domain=fresh-issued.example").json()[0]["order_id"]
    assert web.get(f"/sandbox/posts?order_id={order_id}").json() == {
        "refund": 0, "request_access": 1, "access_mails": 1}


def test_mail_is_delivered_after_mail_delay(web: HttpSession, clock: FixedClock):
    web.request("POST", "/sandbox/faults", json_body={"mail_delay": 3600})
    request_access(web, "fresh-issued.example", EMAIL)
    assert inbox(web) == [] and web.get("/mail/api/messages").json() == []
    clock.advance(timedelta(seconds=3599))
    assert inbox(web) == []
    clock.advance(timedelta(seconds=1))
    assert len(inbox(web)) == 1
    [api] = web.get("/mail/api/messages").json()
    assert api["to"] == EMAIL and api["link"].startswith(web.base_url + "/portal/login/")


def test_undelivered_message_is_not_readable(web: HttpSession):
    web.request("POST", "/sandbox/faults", json_body={"mail_delay": 60})
    request_access(web, "fresh-issued.example", EMAIL)
    assert web.get("/mail/1").status == 404


def test_portal_cancel_shows_cancelled_in_pm(new_session: Callable[[], HttpSession]):
    support, customer = new_session(), new_session()
    request_access(support, "fresh-issued.example", EMAIL)
    home = customer.get(portal_link(customer))
    assert customer.cookie("portal_session") and home.url.endswith("/portal/")
    assert home.view.h1 == ["Your certificate"]
    assert home.view.terms == {"Domain": "fresh-issued.example", "Status": "Active"}
    assert home.view.buttons == ["Renew", "Reissue", "Cancel Certificate", "Download"]

    confirm = customer.post("/portal/cancel").view
    assert confirm.h1 == ["Cancel certificate"] and confirm.buttons == ["Yes, cancel certificate"]
    assert confirm.link("Keep certificate") == "/portal/"
    done = customer.post("/portal/cancel/confirm").view
    assert done.statuses == ["Your certificate has been cancelled"]
    assert done.terms["Status"] == "Cancelled"

    [order] = support.get("/sandbox/orders?domain=fresh-issued.example").json()
    assert order["state"] == "cancelled"
    products = support.get(f"/pm/customers/{order['customer_id']}/products").view
    assert products.table("Products")[1][0][6] == "cancelled"
    refunded = support.post(f"/pm/orders/{order['order_id']}/refund").view
    assert refunded.statuses[0].startswith("Refund issued: ref RF-")


def test_keep_certificate_changes_nothing(web: HttpSession):
    request_access(web, "fresh-issued.example", EMAIL)
    web.get(portal_link(web))
    web.post("/portal/cancel")
    assert web.get("/portal/").view.terms["Status"] == "Active"


def test_portal_needs_the_mail_link(web: HttpSession):
    assert web.get("/portal/").status == 401
    assert web.get("/portal/login/not-a-token").status == 404
