"""Faults: deterministic server errors, outages, latency, and the /sandbox/faults endpoint."""

from __future__ import annotations

import time

import pytest

from sandbox.faults import FaultError, Faults, fails
from tests.sandbox.browsing import HttpSession


def set_faults(web: HttpSession, **changes: object) -> dict[str, object]:
    response = web.request("POST", "/sandbox/faults", json_body=changes)
    assert response.status == 200, response.text
    return response.json()


def test_defaults(web: HttpSession):
    assert web.get("/sandbox/faults").json() == {
        "latency_ms": 0, "error_rate": 0.0, "session_ttl": 1800.0, "mail_delay": 0.0,
        "layout": "normal", "down": [], "write_fault": "none",
        "fail_next": 0}


def test_health_is_plain_ok(web: HttpSession):
    page = web.get("/sandbox/health")
    assert (page.status, page.text) == (200, "ok")


@pytest.mark.parametrize(("rate", "pattern"), [
    (0.5, "ok,500,ok,500,ok,500"),
    (0.25, "ok,ok,ok,500,ok,ok,ok,500"),
    (1.0, "500,500,500"),
    (1 / 3, "ok,ok,500,ok,ok,500"),
])
def test_error_rate_is_a_deterministic_pattern(web: HttpSession, rate: float, pattern: str):
    set_faults(web, error_rate=rate)
    seen = []
    for _ in pattern.split(","):
        page = web.get("/pm/")
        seen.append("ok" if page.status == 200 else str(page.status))
        if page.status == 500:
            assert page.view.h1 == ["Internal Server Error"]
    assert ",".join(seen) == pattern


def test_error_counter_restarts_when_faults_change(web: HttpSession):
    set_faults(web, error_rate=0.5)
    assert [web.get("/pm/").status for _ in range(3)] == [200, 500, 200]
    set_faults(web, error_rate=0.5)
    assert [web.get("/pm/").status for _ in range(2)] == [200, 500]


def test_sandbox_endpoints_ignore_faults(web: HttpSession):
    """A minute of latency on every console: were it applied here, the two requests would take
    two minutes; the bound is half of one, whatever the machine's load."""
    set_faults(web, error_rate=1.0, down="pm,symantec,geotrust,mail,portal", latency_ms=60_000)
    started = time.monotonic()
    assert web.get("/sandbox/health").status == 200
    assert web.get("/sandbox/orders").status == 200
    assert time.monotonic() - started < 30


def test_down_console_answers_503(web: HttpSession):
    assert set_faults(web, down="pm, symantec")["down"] == ["pm", "symantec"]
    for path in ("/pm/", "/pm/search?domain=x", "/symantec/login"):
        page = web.get(path)
        assert page.status == 503 and page.view.h1 == ["Service Unavailable"]
    assert web.get("/geotrust/").status == 200
    set_faults(web, down=[])
    assert web.get("/pm/").status == 200


def test_latency_delays_console_responses(web: HttpSession):
    set_faults(web, latency_ms=200)
    started = time.monotonic()
    assert web.get("/mail/").status == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("bad", [{"error_rate": 1.5}, {"latency_ms": -1}, {"layout": "fancy"},
                                 {"down": "pm,nope"}, {"speed": 1}, {"session_ttl": "soon"}])
def test_bad_faults_are_refused(web: HttpSession, bad: dict[str, object]):
    response = web.request("POST", "/sandbox/faults", json_body=bad)
    assert response.status == 400 and response.json()["error"]
    assert web.get("/sandbox/faults").json()["layout"] == "normal"


def test_reset_faults(web: HttpSession):
    set_faults(web, layout="cosmetic", mail_delay=5)
    assert web.request("DELETE", "/sandbox/faults").json() == Faults().to_json()
    set_faults(web, layout="breaking")
    assert set_faults(web, reset=True, latency_ms=1)["layout"] == "normal"


def test_fails_spreads_failures_evenly():
    for rate in (0.0, 0.1, 0.3, 0.5, 0.9, 1.0):
        failures = sum(fails(n, rate) for n in range(1, 101))
        assert failures == round(100 * rate)


def test_faults_validation_names_the_problem():
    with pytest.raises(FaultError, match="unknown console"):
        Faults().with_changes({"down": "crm"})


def _pending_order_id(web: HttpSession) -> str:
    orders = web.get("/sandbox/orders?domain=pending.example").json()
    (order,) = [o for o in orders if o["domain"] == "pending.example"]
    return str(order["order_id"])


def test_write_fault_error_refuses_posts_before_acting(web: HttpSession):
    oid = _pending_order_id(web)
    set_faults(web, write_fault="error")
    assert web.get(f"/pm/orders/{oid}/transaction").status == 200
    page = web.post(f"/pm/orders/{oid}/refund")
    assert page.status == 500 and page.view.h1 == ["Internal Server Error"]
    assert web.get(f"/sandbox/refunds?order_id={oid}").json() == []


def test_write_fault_hold_acts_then_holds_the_answer(web: HttpSession,
                                                     monkeypatch: pytest.MonkeyPatch):
    from sandbox import faults as fault_module

    monkeypatch.setattr(fault_module, "HOLD_SECONDS", 0.3)
    oid = _pending_order_id(web)
    set_faults(web, write_fault="hold")
    started = time.monotonic()
    page = web.post(f"/pm/orders/{oid}/refund")
    assert time.monotonic() - started >= 0.3
    assert page.status == 200
    assert len(web.get(f"/sandbox/refunds?order_id={oid}").json()) == 1


def test_unknown_write_fault_is_refused(web: HttpSession):
    response = web.request("POST", "/sandbox/faults", json_body={"write_fault": "sometimes"})
    assert response.status == 400
    assert "write_fault must be one of none, error, hold" in response.text


def test_fail_next_fails_exactly_that_many_requests(web: HttpSession):
    set_faults(web, fail_next=2)
    assert [web.get("/pm/").status for _ in range(4)] == [500, 500, 200, 200]
    assert web.get("/sandbox/faults").json()["fail_next"] == 0
