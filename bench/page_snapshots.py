"""What keeping the night's page snapshots costs an issued ticket.

An issued ticket passes the five pages the nightly check cannot open (Request Access, Access
Requested, the mail, the portal and its confirmation); at each, ``PageObject.seen`` reads the
page's accessibility tree and the action's witness writes it to the store. This script plays
those actions against the built-in sandbox (request access with the captcha solved, then the
customer's cancel), each round once with a witness and once without, in alternating order, on
fresh orders, and prints the medians; and the cost of one snapshot read plus store write.

    .venv/bin/python bench/page_snapshots.py [--rounds 6]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pages import geotrust  # noqa: E402
from runner.browser.session import BrowserHost  # noqa: E402
from runner.cli import demo_customer as customer  # noqa: E402
from runner.config import load_config  # noqa: E402
from runner.selectors.witness import witnessing  # noqa: E402
from runner.store.runs import RunStore  # noqa: E402
from sandbox.control import Sandbox  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402


def one_ticket(host: BrowserHost, sandbox: Sandbox, store: RunStore | None, n: int,
               folder: Path) -> float:
    """Seconds for request access + the customer's cancel of a fresh issued order."""
    domain, email = f"bench{n}.example", f"admin@bench{n}.example"
    sandbox.add_order(domain=domain, purchased_at=datetime.now(UTC) - timedelta(days=2),
                      state="issued")
    with host.session(folder / f"run-{n}", trace=False) as session:
        captcha = geotrust.read_captcha(session, domain, email)
        answer = sandbox.solve_captcha(Path(captcha.image_path))
        started = time.perf_counter()
        with witnessing(store, f"run-{n}") if store else nullcontext():
            geotrust.request_access(session, domain, email, answer)
            customer.cancel_certificate(session, email)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    rounds = parser.parse_args().rounds
    folder = Path(tempfile.mkdtemp())
    server = SandboxServer(folder / "sandbox.db", port=0).start()
    sandbox = Sandbox(server.db_path, url=server.url)
    config = load_config().with_sandbox_url(server.url)
    with_: list[float] = []
    without: list[float] = []
    try:
        with BrowserHost(config) as host, RunStore(folder / "runs.db") as store:
            one_ticket(host, sandbox, None, 0, folder)  # warm up
            for n in range(1, rounds + 1):  # which goes first alternates too
                pair = [(with_, store), (without, None)]
                for k, (times, kept) in enumerate(pair if n % 2 else pair[::-1]):
                    times.append(one_ticket(host, sandbox, kept, 2 * n + k, folder))
            with host.session(folder / "one", trace=False) as session:
                tab = session.page("geotrust")
                tab.goto(server.url + "/geotrust/")
                reads = []
                for _ in range(20):
                    started = time.perf_counter()
                    store.snapshots.save("bench.Page", "run-x", tab.url,
                                         tab.locator("body").aria_snapshot())
                    reads.append(time.perf_counter() - started)
    finally:
        server.stop()
    print(f"request access + customer cancel, {rounds} rounds each, alternating (median s):")
    print(f"  with snapshots    {statistics.median(with_):.3f}  (all: "
          f"{', '.join(f'{t:.3f}' for t in with_)})")
    print(f"  without           {statistics.median(without):.3f}  (all: "
          f"{', '.join(f'{t:.3f}' for t in without)})")
    print(f"one snapshot read + store write: median {statistics.median(reads) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
