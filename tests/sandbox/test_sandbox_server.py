"""SandboxServer lifecycle, the /sandbox/* JSON API, and state shared between processes."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from runner.clock import FixedClock
from sandbox.server import SandboxServer
from tests.sandbox.browsing import HttpSession


def test_server_serves_on_a_free_port_and_releases_it(db_path: Path):
    server = SandboxServer(db_path)
    with server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
        assert HttpSession(server.url).get("/sandbox/health").text == "ok"
        port = server.port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # free again after stop()


def test_state_survives_a_server_restart(db_path: Path):
    with SandboxServer(db_path) as first:
        web = HttpSession(first.url)
        oid = web.get("/sandbox/orders?domain=pending.example").json()[0]["order_id"]
        web.post(f"/pm/orders/{oid}/refund")
    with SandboxServer(db_path) as second:
        refunds = HttpSession(second.url).get("/sandbox/refunds").json()
    assert [r["order_id"] for r in refunds] == ["ORD-10005", oid]  # seeded refund, then ours


def test_concurrent_refund_clicks_refund_once(web: HttpSession, new_session):
    oid = web.get("/sandbox/orders?domain=cancelled.example").json()[0]["order_id"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(lambda _: new_session().post(f"/pm/orders/{oid}/refund"),
                              range(8)))
    issued = [p for p in pages if p.view.statuses and p.view.statuses[0].startswith("Refund")]
    already = [p for p in pages if p.view.alerts == ["Already refunded"]]
    assert len(issued) == 1 and len(already) == 7
    assert len(web.get(f"/sandbox/refunds?order_id={oid}").json()) == 1


def test_add_order_over_http(web: HttpSession, clock: FixedClock):
    created = web.request("POST", "/sandbox/orders", json_body={
        "domain": "api.example", "purchased_at": clock.now().isoformat(), "state": "pending_setup"})
    assert created.status == 201 and created.json()["state"] == "pending_setup"
    refused = web.request("POST", "/sandbox/orders", json_body={
        "domain": "api.example", "purchased_at": "2026-01-01", "state": "issued"})
    assert refused.status == 400 and "active certificate" in refused.json()["error"]


def test_reset_endpoint_restores_the_seed(web: HttpSession):
    oid = web.get("/sandbox/orders?domain=pending.example").json()[0]["order_id"]
    web.post(f"/pm/orders/{oid}/refund")
    web.request("POST", "/sandbox/faults", json_body={"layout": "cosmetic"})
    assert web.request("POST", "/sandbox/reset").json() == {"status": "reset"}
    assert len(web.get("/sandbox/refunds").json()) == 1  # only the seeded refunded.example
    assert web.get("/sandbox/faults").json()["layout"] == "normal"


def test_captcha_lookup_endpoint(web: HttpSession):
    assert web.get("/sandbox/captcha/" + "0" * 64).status == 404


def test_index_links_every_console(web: HttpSession):
    hrefs = {href for _, href in web.get("/").view.links}
    assert hrefs == {"/pm/", "/symantec/", "/geotrust/", "/mail/"}
