"""The fault-and-kill matrix's tools: a one-shot trap on one console request, and an agent that
drives a run to its end the way a support agent and cron would, checking every answer.

The sandbox server runs inside the test process, so a trap wraps the sandbox's own fault hooks
(``sandbox.faults.inject`` before a request is served, ``hold_answer`` after) and fires on the
first request whose method and path match: the runner meets it over HTTP as it would meet a
failing console, whether it runs in a process of its own (the killing modes) or in the test
process (``tests.e2e.inprocess``; the sandbox answers from its own threads). Every wait here is
on an event or a process, with a timeout.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from flask import request

from sandbox import faults as sandbox_faults
from tests import children
from tests.e2e.cli import Answer, Cli
from tests.e2e.conftest import SandboxClient

MODES = ("error", "hold", "kill_before", "kill_after", "down")
# error:       answered 500 before anything is done (nothing happened)
# hold:        done, then the answer is held until the runner gives up waiting for it
# kill_before: the request waits until the runner's process is killed, then is done
# kill_after:  done, then the runner's process is killed while it waits for the answer
# down:        the console goes down from this request on (503), until the test lifts it
STATUSES = ("succeeded", "denied", "waiting", "needs_input", "failed", "running", "abandoned")
REACHED = 120.0  # seconds a test waits for a process to reach a trap (a bound, never a pace)
# How long a command that meets a held answer waits for it: the runner's navigation timeout,
# shortened for that command from the shipped 30 s. The trap holds the answer until the process
# ends, so this is how long the test waits; the command's other page loads get as long, many
# times what one takes with both cores busy.
HELD_ANSWER_WAIT_MS = 8000


@dataclass
class Trap:
    method: str  # or "*": any
    path: str  # a pattern of the request path (fnmatch: "*/refund", "/geotrust/", "/pm/*")
    mode: str
    nth: int = 1  # fire on the nth matching request
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    fired: bool = False
    seen: int = 0  # matching requests so far
    killed: int | None = None  # the exit code of the process killed at the trap
    held_out: bool = False  # the runner still waited for a held answer when REACHED ran out
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def matches(self, method: str, path: str) -> bool:
        """Whether this request springs the trap (counted: call once per request)."""
        with self._lock:
            if self.fired or self.method not in ("*", method) or not fnmatchcase(path,
                                                                                 self.path):
                return False
            self.seen += 1
            return self.seen == self.nth


class Traps:
    """At most one armed trap at a time; ``arm`` before the command that should meet it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.trap: Trap | None = None
        inject, hold = sandbox_faults.inject, sandbox_faults.hold_answer

        def trapped_inject(conn: sqlite3.Connection, console: str,
                           faults: sandbox_faults.Faults, method: str = "GET") -> int | None:
            trap = self.trap
            if trap is not None and trap.mode in ("error", "kill_before", "down") \
                    and trap.matches(method, request.path):
                trap.fired = True
                trap.reached.set()
                if trap.mode == "error":
                    return 500
                if trap.mode == "down":
                    sandbox_faults.update(conn, {"down": console})
                    return 503
                trap.release.wait(REACHED)  # the runner is killed meanwhile; then it is done
            return inject(conn, console, faults, method)

        def trapped_hold(faults: sandbox_faults.Faults, method: str) -> None:
            trap = self.trap
            if trap is not None and trap.mode in ("hold", "kill_after") \
                    and trap.matches(method, request.path):
                trap.fired = True
                trap.reached.set()
                trap.held_out = not trap.release.wait(REACHED)
                return
            hold(faults, method)

        monkeypatch.setattr(sandbox_faults, "inject", trapped_inject)
        monkeypatch.setattr(sandbox_faults, "hold_answer", trapped_hold)

    def arm(self, method: str, path: str, mode: str, nth: int = 1) -> Trap:
        assert mode in MODES, mode
        self.trap = Trap(method, path, mode, nth)
        return self.trap

    def disarm(self) -> None:
        if self.trap is not None:
            self.trap.release.set()
        self.trap = None


def impatient(cli: Cli) -> Path:
    """The config for a command that will meet a held answer (see HELD_ANSWER_WAIT_MS)."""
    return cli.config_with("impatient.yaml", navigation_timeout_ms=HELD_ANSWER_WAIT_MS)


def meet(cli: Cli, traps: Traps, args: tuple[str, ...], trap: Trap) -> Answer | None:
    """Run one command against an armed trap: None when the mode kills the process (SIGKILL)
    once it reached the trap, else its answer (the hold is released when the command ends).

    A killing mode needs a process of its own (``cli.start``); the others are about the answer,
    and the command runs the way ``cli`` runs commands (in the test process, with ``cli``)."""
    if not trap.mode.startswith("kill"):
        try:
            answer = cli(*args, config=impatient(cli) if trap.mode == "hold" else None,
                         timeout=REACHED * 2)
        finally:
            traps.disarm()
        # A command that gave up on a held answer returns while the console still holds it:
        # neither the evidence it takes nor anything else waits for the answer.
        assert not trap.held_out, f"{args[0]} waited {REACHED:.0f} s for the held answer"
        return answer
    process = cli.start(*args)
    try:
        reached = _wait_either(trap.reached, process)
        if reached:
            process.kill()  # the runner alone, as a crash would: not its group
            children.communicate(process, REACHED)
            trap.killed = process.returncode
            traps.disarm()
            return None
        stdout, stderr = children.communicate(process, REACHED * 2)
    finally:
        traps.disarm()
        if process.poll() is None:
            children.kill_group(process)
            children.communicate(process, REACHED)
    data = json.loads(stdout) if stdout.strip().startswith(("{", "[")) else None
    return Answer(process.returncode, data, stdout, stderr)


def _wait_either(event: threading.Event, process: Any) -> bool:
    """Wait until the trap is reached (True) or the process ended without reaching it."""
    while process.poll() is None:
        if event.wait(0.2):
            return True
    return event.is_set()


@dataclass
class Agent:
    """Acts on each answer as its ``next_action`` says, and checks the contract on the way.

    ``person`` answers a confirm_side_effect the way a support person would after looking at
    the console (the sandbox's records); ``customer_cancels`` plays the customer once.
    """

    cli: Cli
    sandbox: SandboxClient
    order_id: str
    customer_cancels: Callable[[], None] | None = None
    cancelled: bool = False
    seen: list[dict[str, Any]] = field(default_factory=list)

    def finish(self, run_id: str, limit: int = 14) -> dict[str, Any]:
        """Drive the run to succeeded or denied; fail the test if it gets stuck."""
        data = self._status(run_id)
        for _ in range(limit):
            check_answer(data)
            self.seen.append(data)
            if data["status"] in ("succeeded", "denied"):
                return data
            data = self._next(run_id, data)
        trail = [(d["status"], (d.get("next_action") or {}).get("type")) for d in self.seen]
        raise AssertionError(f"run {run_id} stuck after {limit} commands: {trail}")

    def _status(self, run_id: str) -> dict[str, Any]:
        return run_of(self.cli, run_id)

    def _next(self, run_id: str, data: dict[str, Any]) -> dict[str, Any]:
        action = data.get("next_action") or {}
        kind = action.get("type")
        if kind == "provide_input":
            answer = self.sandbox.solve_captcha(Path(action["artifact"]))
            return self._resume(run_id, f"{action['input']}={answer}")
        if kind == "confirm_side_effect":
            return self._resume(run_id, f"{action['input']}={self._person(action['action'])}")
        if kind == "wait_for_other_process":
            return self._due(run_id, None)
        if kind == "wait" and action.get("other_run") == run_id:
            # This run's own interrupted attempt, too recent to settle: cron looks at its time.
            return self._due(run_id, action["next_check_at"])
        if kind == "wait" and data["status"] == "waiting":
            if self.customer_cancels is not None and not self.cancelled \
                    and not action.get("other_run"):
                self.customer_cancels()
                self.cancelled = True
            return self._resume(run_id)
        if kind == "retry_later":
            return self._due(run_id, action["retry_after"])
        raise AssertionError(f"no way on from {data['status']} / {kind}: {data}")

    def _person(self, action: str) -> str:
        """Look at the console: did the interrupted effect happen?"""
        posts = self.sandbox.posts(self.order_id)
        if action == "pm.refund":
            return "done" if self.sandbox.refunds(self.order_id) else "retry"
        return "done" if posts["access_mails"] else "retry"

    def _resume(self, run_id: str, *inputs: str) -> dict[str, Any]:
        answer = self.cli.resume(run_id, *inputs)
        assert answer.data is not None, answer.stderr
        return dict(answer.data)

    def _due(self, run_id: str, at: str | None) -> dict[str, Any]:
        """What cron does: `resume --due`, at the retry time when there is one."""
        now = None
        if at is not None:
            now = (datetime.fromisoformat(at) + timedelta(seconds=1)).isoformat()
        mine = [d for d in due(self.cli, now) if d["run_id"] == run_id]
        assert mine, f"resume --due did not pick up run {run_id}"
        return dict(mine[0])


def asked_to_confirm(cli: Cli, ticket: str) -> dict[str, Any]:
    """After an interrupted side effect, what cron does (`resume --due`, at the time the run
    names) until the run asks a person whether it happened; its answer then."""
    data = run_of(cli, ticket)
    for _ in range(4):
        action = data.get("next_action") or {}
        if action.get("type") == "confirm_side_effect":
            return data
        at = action.get("next_check_at") or action.get("retry_after")
        now = (datetime.fromisoformat(at) + timedelta(seconds=1)).isoformat() if at else None
        resumed = [d for d in due(cli, now) if d["run_id"] == data["run_id"]]
        data = resumed[0] if resumed else run_of(cli, ticket)
    raise AssertionError(f"the run never asked a person: {data}")


def due(cli: Cli, now: str | None = None) -> list[dict[str, Any]]:
    """The runs `resume --due` resumed (at ``now``, the runner's clock)."""
    answer = cli("resume", "--due", "--json", now=now)
    data = answer.data
    resumed = data.get("resumed") if isinstance(data, dict) else data
    assert isinstance(resumed, list), answer.stderr
    return [dict(d) for d in resumed]


def run_of(cli: Cli, ref: str) -> dict[str, Any]:
    """The status of a ticket's one run (or of a run id)."""
    answer = cli("status", ref, "--json")
    assert answer.data, answer.stderr
    data = answer.data
    if isinstance(data, list):
        (data,) = data
    return dict(data)


def check_answer(data: dict[str, Any]) -> None:
    """What every answer must say: a defined status, and a real next step unless finished."""
    assert data["status"] in STATUSES, data
    assert data.get("customer_message"), data
    if data["status"] in ("succeeded", "denied"):
        return
    action = data.get("next_action")
    assert action and action.get("type"), data
    assert action.get("command"), data
    if data["status"] == "failed":
        error = data["error"]
        assert error["kind"] == "console", error  # the matrix's faults are the consoles'
        assert error["code"] != "expression_unresolved", error
        assert action["type"] == "retry_later" and action["retry_after"], data

