"""The run store between real processes (``store_target``: SQLite and PostgreSQL alike): a
lease contended by four at once goes to exactly one, and a lease whose owner process has
died on this host is free."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from runner.store.runs import RunStore, default_owner
from tests import children


def test_lease_contention_across_processes(store_target):
    """Real processes, real locks: of four contenders exactly one gets the run."""
    with RunStore(store_target) as store:
        run, _ = store.create_run("T-p", "f")
    script = (
        "import sys; from datetime import timedelta; from runner.store.runs import RunStore\n"
        "with RunStore(sys.argv[1]) as s:\n"
        "    print(s.acquire_lease(sys.argv[2], sys.argv[3], timedelta(minutes=5)))\n")
    procs = [children.start([sys.executable, "-c", script, str(store_target), run.run_id,
                             f"p{i}"], stdout=subprocess.PIPE, text=True) for i in range(4)]
    answers = [children.communicate(proc, 30)[0].strip() for proc in procs]
    assert sorted(answers) == ["False", "False", "False", "True"]


def test_dead_owner_on_this_host_frees_the_lease(store_target):
    with RunStore(store_target) as store, RunStore(store_target) as other:
        run, _ = store.create_run("T-3", "f")
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        host = default_owner().split(":")[0]
        assert store.acquire_lease(run.run_id, f"{host}:{gone.pid}:abc", timedelta(hours=1))
        assert other.acquire_lease(run.run_id, default_owner(), timedelta(hours=1))
