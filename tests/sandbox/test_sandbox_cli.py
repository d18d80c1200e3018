"""The ``sandbox`` click group, run in-process with CliRunner against a temp DB."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runner.clock import FixedClock
from sandbox import captcha, db
from sandbox.cli import sandbox
from sandbox.seed import SEED_ORDERS
from sandbox.server import SandboxServer
from tests.sandbox.browsing import HttpSession, request_access


def run(db_path: Path, *args: str) -> Result:
    return CliRunner().invoke(sandbox, [*args, "--db", str(db_path)])


def test_db_is_created_and_seeded_on_first_use(db_path: Path):
    result = run(db_path, "faults", "show")
    assert result.exit_code == 0 and json.loads(result.output)["layout"] == "normal"
    assert db_path.exists()


def test_db_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SANDBOX_DB", str(tmp_path / "env" / "s.db"))
    assert CliRunner().invoke(sandbox, ["faults", "show"]).exit_code == 0
    assert (tmp_path / "env" / "s.db").exists()


def test_default_db_is_in_the_state_home_not_the_cwd(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SANDBOX_DB", raising=False)
    monkeypatch.setenv("CERTRUNNER_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(sandbox, ["faults", "show"]).exit_code == 0
    assert (tmp_path / "home" / "sandbox.db").exists()
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    assert not (tmp_path / "var").exists()


def test_add_order_prints_json_and_a_running_server_sees_it(db_path: Path):
    with SandboxServer(db_path) as server:
        result = run(db_path, "add-order", "--domain", "New.Example",
                     "--purchased-at", "2026-11-21T12:00:00+02:00", "--state", "issued",
                     "--customer", "Nina New")
        assert result.exit_code == 0, result.output
        order = json.loads(result.output)
        number = len(SEED_ORDERS) + 1
        assert order["domain"] == "new.example" and order["order_id"] == f"ORD-{10000 + number}"
        assert order["partner_order_id"] == f"PO-{7700000 + number}"
        assert order["purchased_at"] == "2026-11-21T10:00:00+00:00"
        assert order["admin_email"] == "admin@new.example" and order["customer"] == "Nina New"
        header, rows = HttpSession(server.url).get("/pm/search?domain=new.example").view.table(
            "Orders")
        assert rows[0][:3] == ["new.example", "Nina New", "GeoTrust QuickSSL Premium"]


def test_add_order_refunded_gets_its_refund(db_path: Path):
    result = run(db_path, "add-order", "--domain", "gone.example", "--purchased-at",
                 "2026-01-01T00:00:00Z", "--state", "refunded", "--admin-email", "Ops@Gone.example")
    order = json.loads(result.output)
    assert order["admin_email"] == "ops@gone.example"
    assert order["refund"]["ref"].startswith("RF-")
    assert order["refund"]["refunded_at"] == "2026-01-02T00:00:00+00:00"


@pytest.mark.parametrize(("args", "message"), [
    (["--domain", "x.example", "--purchased-at", "yesterday", "--state", "issued"], "ISO 8601"),
    (["--domain", "not a domain", "--purchased-at", "2026-01-01", "--state", "issued"],
     "not a domain"),
    (["--domain", "shop.example", "--purchased-at", "2026-01-01", "--state", "issued"],
     "already has an active certificate"),
])
def test_add_order_refuses_bad_input(db_path: Path, args: list[str], message: str):
    result = run(db_path, "add-order", *args)
    assert result.exit_code == 2 and message in result.output


def test_add_order_bad_state_is_a_usage_error(db_path: Path):
    result = run(db_path, "add-order", "--domain", "a.example", "--purchased-at", "2026-01-01",
                 "--state", "lost")
    assert result.exit_code == 2


def test_outbox_lists_delivered_mail(db_path: Path):
    assert run(db_path, "outbox").output == "no delivered mail\n"
    with SandboxServer(db_path) as server:
        request_access(HttpSession(server.url), "shop.example", "admin@shop.example")
    [mail] = json.loads(run(db_path, "outbox", "--json").output)
    assert mail["to"] == "admin@shop.example" and mail["link"].startswith("/portal/login/")
    assert mail["subject"] == "Access to your GeoTrust user portal"
    text = run(db_path, "outbox", "--base-url", "http://127.0.0.1:9/").output
    assert text.startswith("admin@shop.example\tAccess to your GeoTrust user portal\t"
                           "http://127.0.0.1:9/portal/login/")


def test_outbox_holds_back_delayed_mail(db_path: Path):
    run(db_path, "faults", "set", "--mail-delay", "3600")
    with SandboxServer(db_path) as server:
        request_access(HttpSession(server.url), "shop.example", "admin@shop.example")
    assert json.loads(run(db_path, "outbox", "--json").output) == []


def test_solve_captcha(db_path: Path, tmp_path: Path):
    with SandboxServer(db_path) as server:
        web = HttpSession(server.url)
        [(_, src)] = web.get("/geotrust/").view.images
        image = tmp_path / "captcha.png"
        image.write_bytes(web.get(src).body)
    result = run(db_path, "solve-captcha", str(image))
    conn = db.connect(db_path)
    try:
        [answer] = conn.execute("SELECT answer FROM captcha_challenges").fetchone()
    finally:
        conn.close()
    assert result.exit_code == 0 and result.output == f"{answer}\n"
    other = tmp_path / "other.png"
    other.write_bytes(captcha.draw("not-from-the-db", "12345"))
    refused = run(db_path, "solve-captcha", str(other))
    assert refused.exit_code == 2 and "not a captcha this sandbox drew" in refused.output


def test_faults_set_show_reset(db_path: Path):
    result = run(db_path, "faults", "set", "--latency-ms", "50", "--error-rate", "0.25",
                 "--session-ttl", "5", "--mail-delay", "60", "--layout", "cosmetic",
                 "--down", "pm,symantec")
    assert json.loads(result.output) == {"latency_ms": 50, "error_rate": 0.25,
                                         "session_ttl": 5.0, "mail_delay": 60.0,
                                         "layout": "cosmetic", "down": ["pm", "symantec"],
                                             "write_fault": "none", "fail_next": 0}
    assert json.loads(run(db_path, "faults", "set", "--down", "").output)["down"] == []
    assert json.loads(run(db_path, "faults", "show").output)["layout"] == "cosmetic"
    assert json.loads(run(db_path, "faults", "reset").output)["layout"] == "normal"
    refused = run(db_path, "faults", "set", "--down", "crm")
    assert refused.exit_code == 2 and "unknown console" in refused.output


def test_faults_set_from_cli_reach_a_running_server(db_path: Path):
    with SandboxServer(db_path) as server:
        run(db_path, "faults", "set", "--down", "geotrust")
        assert HttpSession(server.url).get("/geotrust/").status == 503


def test_reset_reseeds_in_place(db_path: Path):
    run(db_path, "add-order", "--domain", "extra.example", "--purchased-at",
        "2026-01-01T00:00:00+00:00", "--state", "issued")
    run(db_path, "faults", "set", "--layout", "breaking")
    assert run(db_path, "reset").exit_code == 0
    conn = db.connect(db_path)
    try:
        domains = {r[0] for r in conn.execute("SELECT domain FROM orders")}
        layout = conn.execute("SELECT layout FROM faults").fetchone()[0]
    finally:
        conn.close()
    assert "extra.example" not in domains and len(domains) == len(SEED_ORDERS)
    assert layout == "normal"


def test_canaries_are_redated_whenever_the_db_is_opened(db_path: Path):
    from sandbox.app import create_app

    start = datetime.fromisoformat("2026-03-01T09:00:00+00:00")
    clock = FixedClock(start)
    create_app(db_path, clock)
    clock.advance(timedelta(days=10))
    later = clock.now()
    client = create_app(db_path, clock).test_client()
    orders = {o["domain"]: o for o in client.get("/sandbox/orders").get_json()}
    day_ago = (later - timedelta(days=1)).isoformat()
    assert orders["canary.example"]["purchased_at"] == day_ago
    assert orders["canary-pending.example"]["purchased_at"] == day_ago
    assert orders["pending.example"]["purchased_at"] == (start - timedelta(days=3)).isoformat()
