"""The service's and the workers' one Chromium lives as long as their process, no longer and no
shorter: a stopped or killed service must not leave a browser behind (nor its helpers: the
browser leads a process group of its own, and all of it must go), and a browser started from a
short-lived thread (the web server starts the service from its thread pool) must not die with
that thread."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Playwright

from runner.browser.launcher import SharedChromium
from tests import children
from tests.waiting import group_gone, wait_until

ROOT = Path(__file__).resolve().parents[2]
STARTS_CHROMIUM = ("from runner.browser.launcher import SharedChromium; import sys; "
                   "print(SharedChromium().pid, flush=True); sys.stdin.read()")


def test_the_browser_of_a_killed_process_ends_with_it() -> None:
    starter = children.start([sys.executable, "-c", STARTS_CHROMIUM], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert starter.stdout is not None
    browser = int(starter.stdout.readline())
    assert not group_gone(browser), "the browser did not start"
    os.kill(starter.pid, signal.SIGKILL)
    starter.wait()
    try:
        wait_until(lambda: group_gone(browser), timedelta(seconds=60),
                   f"Chromium {browser} and its helpers ending with the process that started it")
    finally:
        if not group_gone(browser):
            os.killpg(browser, signal.SIGKILL)


def test_a_stopped_browser_leaves_no_process_behind() -> None:
    chromium = SharedChromium()
    assert not group_gone(chromium.pid)
    chromium.stop()
    wait_until(lambda: group_gone(chromium.pid), timedelta(seconds=60),
               f"Chromium {chromium.pid} and its helpers ending after stop()")


def test_a_browser_started_from_a_thread_that_ends_keeps_working(
        playwright: Playwright) -> None:
    started: list[tuple[SharedChromium, int]] = []
    thread = threading.Thread(
        target=lambda: started.append((SharedChromium(), threading.get_native_id())))
    thread.start()
    thread.join()
    ((chromium, thread_id),) = started
    try:
        # Gone from /proc only after the kernel has handled its exit, parent-death signals
        # included: a browser tied to this thread would have been sent SIGKILL by now.
        wait_until(lambda: not Path(f"/proc/self/task/{thread_id}").exists(),
                   timedelta(seconds=60), "the starting thread's end")
        browser = playwright.chromium.connect_over_cdp(chromium.ws_url)
        page = browser.new_page()
        page.set_content("<p>still here</p>")
        assert page.get_by_text("still here").is_visible()
        browser.close()
        assert chromium.process.poll() is None
    finally:
        chromium.stop()
