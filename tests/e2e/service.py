"""`certrunner serve` as a separate process on a free loopback port, the way it is deployed.

The service logs ``service_listening`` with the port it bound once it accepts requests; the
test waits for that line (no polling), then talks to it over HTTP with httpx.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests import children
from tests.contract import check_document

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180.0  # generous: the machine may be busy; this is a deadline, not a wait


CONTRACT_PATHS = ("/runs", "/flows")  # the doors whose bodies are the CLI's JSON contract


def _check_contract(response: httpx.Response) -> None:
    """Every run or flow body the service answers must validate against the CLI's schema."""
    path = response.request.url.path
    if path.startswith(CONTRACT_PATHS) and "/artifacts/" not in path:
        response.read()
        if response.headers.get("content-type", "").startswith("application/json"):
            check_document(f"{response.request.method} {path}", response.json(), "http")


class Service:
    def __init__(self, env: dict[str, str], cwd: Path, *args: str,
                 token: str | None = None) -> None:
        env = dict(env)
        if token:
            env["CERTRUNNER_API_TOKEN"] = token
        self.process = children.start(
            [sys.executable, str(ROOT / "run.py"), "serve", "--port", "0", "--poll", "3600",
             *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.port = 0
        threading.Thread(target=self._read, daemon=True).start()
        if not self.wait_for(lambda: self.port > 0, START_TIMEOUT):
            self.stop(signal.SIGKILL)
            raise AssertionError("service never listened:\n" + "\n".join(self.lines[-30:]))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=300,
                                 event_hooks={"response": [_check_contract]})

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip())
                if '"service_listening"' in line:
                    self.port = int(json.loads(line)["port"])
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()  # exited: waiters re-check and see it

    def wait_for(self, condition: Callable[[], bool], timeout: float = START_TIMEOUT) -> bool:
        """Wait until ``condition`` holds (re-checked at each log line) or the process ends."""
        with self._changed:
            return self._changed.wait_for(
                lambda: condition() or self.process.poll() is not None, timeout) and condition()

    def events(self, name: str) -> list[dict[str, Any]]:
        found = []
        for line in self.lines:
            if line.startswith("{") and f'"{name}"' in line:
                found.append(json.loads(line))
        return found

    def run(self, flow: str, ticket: str, domain: str, **inputs: str) -> httpx.Response:
        return self.http.post("/runs", json={"flow": flow, "ticket": ticket, "domain": domain,
                                             "inputs": inputs})

    def resume(self, run_id: str, **inputs: str) -> httpx.Response:
        return self.http.post(f"/runs/{run_id}/resume", json={"inputs": inputs})

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 300) -> int:
        """Signal the service process itself (never its group) and wait for it to exit; one
        still running after ``timeout`` is killed with its group."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = children.wait(self.process, timeout)
        if hasattr(self, "http"):
            self.http.close()
        return code
