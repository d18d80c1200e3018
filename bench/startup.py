"""CPU time of the commands an agent calls most, against a bare interpreter as the baseline.

Each command is its own process, like an agent's or cron's call; the figure is the child's user
plus system CPU time (wall time on a shared machine says more about the neighbours than about
us). The target is 0.25 s CPU per command; the ratio to ``python -c pass`` shows what our own
imports cost on top of the interpreter.

    .venv/bin/python bench/startup.py [--repeat 7]

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.25
COMMANDS: dict[str, list[str]] = {
    "--help": ["--help"],
    "--version": ["--version"],
    "status T-1 --json": ["status", "T-1", "--json"],
    "runs list --json": ["runs", "list", "--json"],
    "schema": ["schema"],
    "flows list --json": ["flows", "list", "--json"],
}


def cpu_of(argv: list[str], env: dict[str, str], cwd: str) -> float:
    """User + system CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CERTRUNNER_")}
        env.update(CERTRUNNER_STORE=str(Path(home) / "runs.db"), CERTRUNNER_HOME=home)
        runs = {"python -c pass (baseline)": [sys.executable, "-c", "pass"]}
        runs.update({f"certrunner {name}": [sys.executable, str(ROOT / "run.py"), *argv]
                     for name, argv in COMMANDS.items()})
        for argv in runs.values():  # warm: byte-code compiled, the store created
            cpu_of(argv, env, home)
        figures = {name: [cpu_of(argv, env, home) for _ in range(args.repeat)]
                   for name, argv in runs.items()}
    baseline = statistics.median(next(iter(figures.values())))
    print(f"{'command':<34} {'median s':>9} {'best s':>8} {'x baseline':>11}  target")
    for name, values in figures.items():
        median = statistics.median(values)
        verdict = "" if name.endswith("(baseline)") else (
            "ok" if median <= TARGET_S else f"over {TARGET_S}")
        print(f"{name:<34} {median:>9.3f} {min(values):>8.3f} {median / baseline:>11.1f}  "
              f"{verdict}")


if __name__ == "__main__":
    main()
