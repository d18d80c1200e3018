"""The night sees every page: those behind the captcha and the customer's email through what
real runs saw there, and its scheduled run keeps its reports.

The held-out check of issue 22: one real issued ticket runs to its refund (a person reads the
captcha, the customer cancels in their portal), then ``verify-selectors`` skips no page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route

from pages import geotrust
from pages.base import NotReachable
from runner.browser.session import RunSession
from runner.cli import demo_customer as customer
from runner.config import Config
from runner.errors import DriftError
from runner.selectors.check import Snapshots, check_pages, ordered_pages
from runner.selectors.nights import list_nights, nights_dir
from runner.selectors.opening import open_page
from runner.selectors.snapshot_page import render
from runner.selectors.witness import redact, witnessing
from runner.store.runs import RunStore
from tests.e2e.cli import Cli
from tests.e2e.conftest import SandboxClient
from tests.receiver import Receiver

pytestmark = pytest.mark.browser
DOMAIN, EMAIL = "fresh-issued.example", "admin@fresh-issued.example"
SNAPSHOT_PAGES = {"geotrust.RequestAccessPage", "geotrust.AccessRequestedPage",
                  "mail.MessagePage", "portal.CertificatePage", "portal.ConfirmCancelPage"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.close()


def issued_ticket_refunded(cli: Cli, make_session: Callable[[Config], RunSession],
                           config: Config) -> str:
    """One issued ticket through the CLI to its refund; the customer's pages are kept as seen
    for its run (as the demo keeps them). Answers the run id."""
    first = cli.run("cancel_refund", "T-22", DOMAIN)
    assert first.data["status"] == "needs_input", first.stderr
    run_id = first.data["run_id"]
    solved = cli("sandbox", "solve-captcha", first.data["next_action"]["artifact"])
    waiting = cli.resume(run_id, f"image_number={solved.stdout.strip()}")
    assert waiting.data["status"] == "waiting", waiting.stderr
    with RunStore(cli.home / "runs.db") as store, witnessing(store, run_id):
        customer.cancel_certificate(make_session(config), EMAIL)
    done = cli.resume(run_id)
    assert (done.data["status"], done.data["outcome"]) == ("succeeded", "refunded"), done.stderr
    return run_id


def test_after_an_issued_ticket_was_refunded_no_page_is_skipped(
        cli: Cli, sandbox: SandboxClient, make_session: Callable[[Config], RunSession],
        config: Config) -> None:
    before = cli("verify-selectors", "--json")
    assert before.code == 0 and set(before.data["skipped"]) == SNAPSHOT_PAGES

    run_id = issued_ticket_refunded(cli, make_session, config)
    answer = cli("verify-selectors", "--json")

    assert answer.code == 0, answer.stdout + answer.stderr
    data = answer.data
    assert data["skipped"] == {} and data["stale"] == {} and data["drift"] == []
    assert data["headline"].startswith("15 of 15 pages checked (0 with drift): 10 of 10 live, "
                                       "5 of 5 from run snapshots (0 stale, oldest ")
    from_runs = {p["page"]: p for p in data["pages"] if p["source"] == "snapshot"}
    assert set(from_runs) == SNAPSHOT_PAGES
    assert {p["status"] for p in from_runs.values()} == {"ok"}
    assert {p["snapshot"]["run_id"] for p in from_runs.values()} == {run_id}
    assert all(r["status"] in ("ok", "not_applicable")
               for p in from_runs.values() for r in p["locators"])
    request = from_runs["geotrust.RequestAccessPage"]["locators"]
    assert {r["name"]: (r["status"], r["money"]) for r in request}["request_button"] == (
        "ok", True)
    # Nothing secret was kept: no email address, no portal login link or token.
    with RunStore(cli.home / "runs.db") as store:
        kept = store.snapshots.latest()
    assert set(kept) == SNAPSHOT_PAGES
    for snapshot in kept.values():
        assert "@" not in snapshot.snapshot and "/portal/login/" not in snapshot.snapshot
        assert "/login/" not in snapshot.url and "?" not in snapshot.url
    assert "(email)" in kept["geotrust.AccessRequestedPage"].snapshot

    # Eight days without a run past these pages: still checked, but stale (a warning).
    later = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    stale = cli("verify-selectors", "--json", now=later)
    assert stale.code == 0, stale.stdout + stale.stderr
    assert set(stale.data["stale"]) == SNAPSHOT_PAGES
    assert "5 of 5 from run snapshots (5 stale, oldest 8 d)" in stale.data["headline"]
    assert "warning, stale: geotrust.RequestAccessPage (last seen 8 d ago)" in \
        stale.data["message"]


def vendor_renames(session: RunSession, url_glob: str, old: str, new: str) -> None:
    def rewrite(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace(old, new))

    session.context.route(url_glob, rewrite)


def test_drift_a_run_met_behind_the_captcha_is_reported_the_next_night_as_money(
        make_session: Callable[[Config], RunSession], drift_config: Config,
        sandbox: SandboxClient, tmp_path: Path) -> None:
    session = make_session(drift_config)
    vendor_renames(session, "**/geotrust/", ">Request Access</button>",
                   ">Ask for access</button>")
    captcha = geotrust.read_captcha(session, DOMAIN, EMAIL)
    with RunStore(tmp_path / "runs.db") as store:
        with pytest.raises(DriftError), witnessing(store, "run-met-drift"):
            geotrust.request_access(session, DOMAIN, EMAIL,
                                    sandbox.solve_captcha(Path(captcha.image_path)))
        kept = store.snapshots.latest()
    assert 'button "Ask for access"' in kept["geotrust.RequestAccessPage"].snapshot
    assert sandbox.outbox() == []  # nothing was clicked

    report = check_pages(make_session(drift_config), drift_config,
                         pages=[geotrust.RequestAccessPage], snapshots=Snapshots(kept))

    assert report.exit_code == 1
    ((page, broken),) = report.drift
    assert (page.page, page.source, broken.name) == ("geotrust.RequestAccessPage", "snapshot",
                                                     "request_button")
    assert broken.proposals[0].declaration == 'role("button", "Ask for access", money=True)'
    assert broken.review == "money control: needs review"
    assert page.snapshot_run_id == "run-met-drift" and page.screenshot


def test_every_live_page_resolves_alike_from_its_rendered_snapshot(
        make_session: Callable[[Config], RunSession], config: Config, sandbox: SandboxClient,
        page: Page) -> None:
    """The renderer is faithful where it can be compared: on every page the night opens, each
    demanded locator matches as many visible elements on the snapshot rendered as on the page,
    and the rendered page's snapshot is the page's own."""
    session = make_session(config)
    compared = 0
    for cls in ordered_pages():
        try:
            states = open_page(session, config, cls)
        except NotReachable:
            continue
        live = cls.of(session)
        snapshot = redact(live.page.locator("body").aria_snapshot())
        page.set_content(render(snapshot))
        rendered = cls(page, live.base_url)
        assert redact(page.locator("body").aria_snapshot()) == snapshot, cls.__name__
        for name in cls.locators():
            if cls.checks_state(name, states):
                counts = [po.loc(name).filter(visible=True).count() for po in (live, rendered)]
                assert counts[0] == counts[1], f"{cls.__name__}.{name}: {counts}"
                compared += 1
    assert compared > 60


def test_the_scheduled_check_keeps_its_four_reports_and_links_them(
        sandbox: SandboxClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        receiver: Receiver) -> None:
    from runner.workers import runtime, tasks

    sandbox.faults(layout="breaking")
    monkeypatch.setenv("CERTRUNNER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("CERTRUNNER_NOTIFY_URL", receiver.url)
    monkeypatch.delenv("CERTRUNNER_CONFIG", raising=False)
    monkeypatch.setattr(runtime, "_local", threading.local())  # this test's App, dropped after
    ran: dict[str, object] = {}

    def worker_thread() -> None:  # as in a Celery worker: a thread of its own, its own App
        ran["code"] = tasks.verify_selectors()
        app = runtime.app()
        ran["config"] = app.config
        app.close()

    runtime.start()
    try:
        thread = threading.Thread(target=worker_thread)
        thread.start()
        thread.join(timeout=300)
    finally:
        runtime.stop()

    assert ran["code"] == 1
    config = ran["config"]
    assert isinstance(config, Config)
    (night,) = list_nights(nights_dir(config))
    assert night.folder.parent == tmp_path / "home" / "reports"
    from runner.app.nightly import nights  # the console's list of the same nights
    assert [(n.name, n.ok) for n in nights(tmp_path / "home")] == [(night.folder.name, False)]
    assert (night.exit_code, night.needs_review) == (1, 1)
    assert night.headline.startswith("10 of 15 pages checked (5 with drift)")
    assert set(night.paths) == {"html", "junit", "json", "proposals"}
    assert all(Path(path).is_file() and Path(path).stat().st_size for path in
               night.paths.values())
    assert any((night.folder / "screenshots").glob("pm.TransactionPage.png"))
    (alert,) = receiver.posted
    assert {kind: alert["reports"][kind] for kind in night.paths} == {
        kind: str(Path(path).resolve()) for kind, path in night.paths.items()}
