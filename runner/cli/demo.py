"""`python run.py demo`: the three cases of the procedure, end to end, on the built-in sandbox.

The demo adds its own fresh orders each time (so it can be run again and again without touching
the seeded ones), then plays everybody: the support agent who triggers and resumes runs, the
person who reads the captcha, and the customer who cancels in the user portal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from runner.app.tickets import resume as resume_run
from runner.app.tickets import run_ticket as run_flow
from runner.engine.next_action import ProvideInput
from runner.engine.result import RunResult, human_summary
from runner.errors import ConfigError, ErrorCode

if TYPE_CHECKING:
    from runner.app.context import AppContext as App

Echo = Callable[[str], None]


def _expect(result: RunResult, status: str, echo: Echo) -> bool:
    echo(human_summary(result))
    if result.status != status:
        echo(f"  !! expected status {status}, got {result.status}")
        return False
    return True


def run_demo(app: App, echo: Echo) -> int:
    from sandbox.control import Sandbox

    if not app.config.is_sandbox or not app.config.needs_sandbox:
        raise ConfigError("the demo runs only against the built-in sandbox",
                          code=ErrorCode.DEMO_NEEDS_SANDBOX)
    app.live_config()  # start the sandbox before adding orders to it
    sandbox = Sandbox(app.config.sandbox_db)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    now = app.clock.now()
    pending = sandbox.add_order(domain=f"demo{stamp}-pending.example", state="pending_setup",
                                purchased_at=now - timedelta(days=3), customer="Demo Pending")
    old = sandbox.add_order(domain=f"demo{stamp}-old.example", state="issued",
                            purchased_at=now - timedelta(days=45), customer="Demo Old")
    issued = sandbox.add_order(domain=f"demo{stamp}-issued.example", state="issued",
                               purchased_at=now - timedelta(days=5), customer="Demo Issued")
    ok = True

    echo(f"\n== 1. Not yet issued: refund straight away ({pending['domain']})")
    result = run_flow(app, "cancel_refund", f"DEMO-{stamp}-1", {"domain": pending["domain"]},
                      progress=echo)
    ok &= _expect(result, "succeeded", echo)

    echo(f"\n== 2. Bought 45 days ago: outside the refund window ({old['domain']})")
    result = run_flow(app, "cancel_refund", f"DEMO-{stamp}-2", {"domain": old["domain"]},
                      progress=echo)
    ok &= _expect(result, "denied", echo)

    echo(f"\n== 3. Issued 5 days ago: the customer cancels, then we refund ({issued['domain']})")
    result = run_flow(app, "cancel_refund", f"DEMO-{stamp}-3", {"domain": issued["domain"]},
                      progress=echo)
    ok &= _expect(result, "needs_input", echo)
    if not ok or not result.run_id:
        return 1
    run_id = result.run_id
    action = result.next_action
    image = action.artifact if isinstance(action, ProvideInput) else None
    answer = sandbox.solve_captcha(image) if image else None
    echo(f"\n-- a person reads the captcha image {image}: {answer}")
    result = resume_run(app, run_id, {"image_number": answer or ""}, progress=echo)
    ok &= _expect(result, "waiting", echo)

    echo(f"\n-- the customer opens the GeoTrust email sent to {issued['admin_email']} and "
         "clicks Cancel Certificate in the user portal")
    _customer_cancels(app, issued["admin_email"], run_id, echo)

    echo("\n-- the agent (or cron: resume --due) checks again")
    result = resume_run(app, run_id, {}, progress=echo)
    ok &= _expect(result, "succeeded", echo)
    echo("\ndemo " + ("finished: all three cases gave the expected answer" if ok
                      else "FAILED: see the lines marked !!"))
    return 0 if ok else 1


def _customer_cancels(app: App, email: str, run_id: str, echo: Echo) -> None:
    """The customer's side, in a browser context of its own (the customer is not us); the
    mail and portal pages it passes are kept for the nightly check, as seen for ``run_id``."""
    from runner.cli.demo_customer import cancel_certificate
    from runner.selectors.witness import witnessing

    with app.host.session(app.config.artifacts / "demo-customer") as session, \
            witnessing(app.store, run_id):
        done = cancel_certificate(session, email, app.catalogue)
    echo(f"   mail: {done.subject!r} -> {done.link}")
    echo(f"   portal: {done.domain} is now {done.status}")
