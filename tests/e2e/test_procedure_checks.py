"""The ticket's domain, normalised once, and the procedure's step 4 (common name, admin email).

Through `run.py` as separate processes against the sandbox: the same ticket typed two ways is
one run; customer text shows the normalised domain; a Symantec record that is not the ticket's
certificate, or has no admin email, stops the run before GeoTrust (no captcha, no mail).
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

import pytest

from sandbox.server import SandboxServer
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient

pytestmark = pytest.mark.browser


def customer_text(data: dict[str, Any]) -> str:
    return str(data["customer_message"])


def captchas_drawn(server: SandboxServer) -> int:
    with sqlite3.connect(server.db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM captcha_challenges").fetchone()[0])


def test_the_same_ticket_typed_two_ways_is_one_run(cli: Cli) -> None:
    first = cli.run("cancel_refund", "T-950", "SHOP.EXAMPLE ")
    assert (first.code, first.data["status"]) == (3, "needs_input"), first.stdout
    assert first.data["outputs"]["order"]["domain"] == "shop.example"

    again = cli.run("cancel_refund", "T-950", "shop.example.")
    assert again.code == 3, again.stdout
    assert (again.data["run_id"], again.data["existing"]) == (first.data["run_id"], True)

    other = cli.run("cancel_refund", "T-950", "MyShop.example")  # really another domain
    assert (other.data["run_id"], other.data["existing"]) == (first.data["run_id"], True)
    assert other.data["next_action"]["type"] == "existing_run_other_inputs"
    assert ("for domain=shop.example, not domain=myshop.example"
            in other.data["next_action"]["summary"])


def test_customer_text_names_the_normalised_domain(cli: Cli, sandbox: SandboxClient) -> None:
    answer = cli.run("cancel_refund", "T-951", "  Pending.EXAMPLE. ")
    assert (answer.code, answer.data["outcome"]) == (0, "refunded"), answer.stdout
    assert "for pending.example has been refunded" in customer_text(answer.data)
    assert len(sandbox.refunds(sandbox.order("pending.example")["order_id"])) == 1


def test_an_international_domain_is_searched_as_punycode(cli: Cli, sandbox: SandboxClient) -> None:
    bought = (sandbox.clock.now() - timedelta(days=2)).isoformat()
    sandbox.add_order(domain="xn--bcher-kva.example", purchased_at=bought, state="pending_setup")
    answer = cli.run("cancel_refund", "T-952", "BÜCHER.example")
    assert (answer.code, answer.data["outcome"]) == (0, "refunded"), answer.stdout
    assert "xn--bcher-kva.example" in customer_text(answer.data)


def test_a_malformed_domain_is_refused_before_any_run(cli: Cli) -> None:
    answer = cli.run("cancel_refund", "T-953", "shop..example")
    assert answer.code == 2, answer.stdout
    assert (answer.data["error"]["kind"], answer.data["error"]["code"]) == ("input",
                                                                            "domain_invalid")
    assert "empty label" in answer.data["error"]["message"]
    assert cli("status", "T-953", "--json").data["error"]["code"] == "unknown_run"


@pytest.mark.parametrize(("flow", "domain", "code", "internal"), [
    ("cancel_refund", "mismatch.example", "common_name_mismatch",
     "has common name other-shop.example, not the ticket's domain mismatch.example"),
    ("cancel_only", "no-admin.example", "admin_email_missing", "shows no admin email"),
])
def test_a_symantec_record_that_fails_step_4_stops_before_geotrust(
        cli: Cli, sandbox: SandboxClient, sandbox_server: SandboxServer, flow: str, domain: str,
        code: str, internal: str) -> None:
    answer = cli.run(flow, "T-960", domain)

    assert answer.code == 1, answer.stdout
    assert (answer.data["status"], answer.data["outcome"]) == ("failed", code)
    assert answer.data["error"]["kind"] == "business"
    assert (answer.data["error"]["code"], answer.data["error"]["step"]) == (code, code)
    assert internal in answer.data["error"]["message"]
    text = customer_text(answer.data)
    assert domain in text and "other-shop" not in text and code not in text
    # A person checks the order before the customer hears more: the text promises that only
    # because the next action is a person's task (the people's inbox), and the run stops here.
    assert answer.data["next_action"]["type"] == "review_order"
    assert answer.data["next_action"]["command"] is None
    assert "nothing has been changed. A member of our team will check the order" in text
    assert "captcha" not in answer.data["outputs"]
    assert captchas_drawn(sandbox_server) == 0
    assert sandbox.outbox() == []


def test_a_www_common_name_is_the_bare_domains_certificate(cli: Cli,
                                                           sandbox: SandboxClient) -> None:
    bought = (sandbox.clock.now() - timedelta(days=3)).isoformat()
    sandbox.add_order(domain="bakery.example", common_name="www.bakery.example",
                      purchased_at=bought, state="issued")
    answer = cli.run("cancel_refund", "T-961", "bakery.example")
    assert (answer.code, answer.data["status"]) == (3, "needs_input"), answer.stdout
    assert answer.data["outputs"]["info"]["common_name"] == "www.bakery.example"
