"""A run's lease while it is driven: short, renewed by a heartbeat, let go after an outage too.

The lease is how long every other process (a worker, the sweep, ``resume --due``) keeps away
from a run whose holder has gone quiet. Renewed only as each step is recorded, it had to outlast
the slowest step, so it was 15 minutes, and a worker that died, or lived on after its task
failed on a store error, kept its runs that long. Here a thread of the process renews the lease
of every run the process is driving, every quarter of the lease: the lease can be a minute
(``CERTRUNNER_LEASE_SECONDS``) and a step can still take as long as its console needs. A holder
that stops renewing (dead, hung, or done with the run) frees it within a minute.

The same thread lets go of leases the drive could not give back because the store was down
when it ended (``let_go``): as soon as the store answers again, not when the lease expires.
One thread per store and clock per process, running only while it has something to keep, with
its own store connection (a connection belongs to one thread).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from runner.logs import get_logger
from runner.store.runs import RunStore, StoreError

LEASE = timedelta(seconds=float(os.environ.get("CERTRUNNER_LEASE_SECONDS", "60")))
BEATS_PER_LEASE = 4  # three beats may be missed (a store blip) before the lease lapses
# A lease the drive could not give back is tried again this often until the store answers.
LET_GO_RETRY = timedelta(seconds=1)

Key = tuple[str, str]  # run id, owner


class LeaseKeeper:
    """Renews the leases of the runs this process drives; gives back the ones let go."""

    def __init__(self, open_store: Callable[[], RunStore], lease: timedelta = LEASE) -> None:
        self._open_store = open_store
        self.lease = lease
        self._held: set[Key] = set()
        self._letting_go: set[Key] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.log = get_logger()

    @contextmanager
    def holding(self, run_id: str, owner: str) -> Iterator[None]:
        """Renew ``owner``'s lease on the run for as long as the block runs."""
        key = (run_id, owner)
        with self._lock:
            self._held.add(key)
            self._letting_go.discard(key)
            self._ensure_thread()
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(key)

    def let_go(self, run_id: str, owner: str) -> None:
        """Give the lease back as soon as the store answers (the drive's own try failed)."""
        with self._lock:
            self._letting_go.add((run_id, owner))
            self._ensure_thread()
        self._wake.set()

    def idle(self) -> bool:
        with self._lock:
            return self._thread is None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        store: RunStore | None = None
        try:
            while True:
                with self._lock:
                    held, letting_go = set(self._held), set(self._letting_go)
                    if not held and not letting_go:
                        self._thread = None
                        return
                self._wake.clear()
                store = self._beat(store, held, letting_go)
                with self._lock:
                    waiting = bool(self._letting_go)
                pause = LET_GO_RETRY if waiting else self.lease / BEATS_PER_LEASE
                self._wake.wait(pause.total_seconds())
        finally:
            if store is not None:
                store.close()

    def _beat(self, store: RunStore | None, held: set[Key],
              letting_go: set[Key]) -> RunStore | None:
        """One round: renew every held lease, give back every one let go. A store that does
        not answer is tried again next round; its connection reopens itself."""
        try:
            store = store or self._open_store()
            for run_id, owner in held:
                store.renew_lease(run_id, owner, self.lease)
            for key in letting_go:
                store.release_lease(*key)
                with self._lock:
                    self._letting_go.discard(key)
                self.log.info("lease_let_go_after_outage", run_id=key[0])
        except StoreError as exc:  # unavailable or unreachable: the next round tries again
            self.log.warning("lease_keeper_store_unavailable", error=str(exc))
        return store


_keepers: dict[tuple[str, int], LeaseKeeper] = {}
_keepers_lock = threading.Lock()


def keeper_for(store: RunStore) -> LeaseKeeper | None:
    """This process's keeper for the store's database and clock; None for an in-memory
    store, which no other connection can see (a step's record renews its lease anyway)."""
    if str(store.path) == ":memory:":
        return None
    key = (str(store.path), id(store.clock))
    with _keepers_lock:
        found = _keepers.get(key)
        if found is None:
            path, clock = store.path, store.clock
            found = _keepers[key] = LeaseKeeper(lambda: RunStore(path, clock=clock))
    return found
