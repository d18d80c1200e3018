"""Several certrunner "machines" on loopback: worker and beat processes that share only URLs.

Each process gets its own home folder and working directory and nothing else from the test but
three URLs: the run store (a PostgreSQL schema), the broker (Redis, a queue of its own) and
the consoles (the sandbox). That is all a second machine would share. Used by the queue tests
and by ``bench/queue_scaling.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Cluster:
    root: Path
    store_url: str
    broker_url: str
    sandbox_url: str
    queue: str
    sweep_seconds: float = 2
    visibility_timeout: timedelta = timedelta(seconds=20)
    requeue_after: timedelta = timedelta(seconds=20)  # a queued run's claim (the sweep's)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self, name: str) -> dict[str, str]:
        """The environment of one machine: the three URLs, its own home; nothing else of ours."""
        home = self.root / name
        home.mkdir(parents=True, exist_ok=True)
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("CERTRUNNER_", "SANDBOX_", "SYMANTEC_"))}
        return {**keep, "CERTRUNNER_STORE": self.store_url, "CERTRUNNER_BROKER": self.broker_url,
                "SANDBOX_URL": self.sandbox_url, "CERTRUNNER_QUEUE": self.queue,
                "CERTRUNNER_ARTIFACTS": str(home / "artifacts"),
                "CERTRUNNER_SWEEP_SECONDS": str(self.sweep_seconds),
                "CERTRUNNER_VISIBILITY_TIMEOUT": str(self.visibility_timeout.total_seconds()),
                "CERTRUNNER_REQUEUE_SECONDS": str(self.requeue_after.total_seconds())}

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        home = self.root / name
        env = self.env(name)
        log = (home / "process.log").open("wb")
        process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), *args], cwd=home,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def start_worker(self, name: str, concurrency: int = 2,
                     *more: str) -> subprocess.Popen[bytes]:
        return self._start(name, "worker", "--concurrency", str(concurrency),
                           "--loglevel", "WARNING", "--name", f"{name}@%h", *more)

    def start_beat(self, name: str = "beat") -> subprocess.Popen[bytes]:
        return self._start(name, "beat", "--loglevel", "WARNING")

    def kill(self, name: str) -> None:
        """SIGKILL: no goodbye, no acknowledgement, nothing written."""
        process = self.processes[name]
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    def children(self, name: str) -> list[int]:
        """The process's direct children (its Chromium, Playwright drivers)."""
        pid = self.processes[name].pid
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            text = (task / "children").read_text() if (task / "children").exists() else ""
            found += [int(p) for p in text.split()]
        return found

    def rss_mb(self, name: str) -> float:
        """Resident memory of the process and every descendant (its Chromium), in MB."""
        total, todo = 0, [self.processes[name].pid]
        while todo:
            pid = todo.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                for task in Path(f"/proc/{pid}/task").glob("*"):
                    todo += [int(p) for p in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            total += next((int(line.split()[1]) for line in status.splitlines()
                           if line.startswith("VmRSS:")), 0)
        return total / 1024

    def log(self, name: str) -> str:
        return (self.root / name / "process.log").read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM each process (each by its own pid), then SIGKILL what is left."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
