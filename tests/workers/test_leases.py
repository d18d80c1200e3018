"""The lease keeper against a PostgreSQL it reaches through a proxy the test cuts.

A lease is kept alive by the heartbeat while its run is driven, and one the drive could not
give back during an outage is given back as soon as the store answers again: a process that
is alive but no longer drives a run does not keep it from the others until the lease expires.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from runner.engine.leases import LeaseKeeper
from runner.store.runs import RunStore, StoreUnavailable
from tests.waiting import wait_until
from tests.workers.proxy import Proxy

pytestmark = pytest.mark.queue
LEASE = timedelta(seconds=2)


@pytest.fixture
def proxy(store_url: str) -> Iterator[Proxy]:
    made = Proxy(store_url)
    yield made
    made.close()


def test_heartbeat_keeps_a_short_lease_alive(store_url: str) -> None:
    with RunStore(store_url) as store:
        run = store.create_run("T-beat", "cancel_refund").run
        keeper = LeaseKeeper(lambda: RunStore(store_url), lease=LEASE)
        assert store.acquire_lease(run.run_id, "driver", LEASE)
        first = store.get_run(run.run_id)
        assert first is not None and first.lease_expires_at is not None
        with keeper.holding(run.run_id, "driver"):
            renewed = wait_until(
                lambda: _expiry(store, run.run_id) > first.lease_expires_at + LEASE,
                LEASE * 5, "the lease renewed past two lease lengths")
            assert renewed and store.lease_alive(run.run_id)
        wait_until(keeper.idle, LEASE * 3, "the keeper's thread gone once nothing is held")
        wait_until(lambda: not store.lease_alive(run.run_id), LEASE * 3,
                   "the lease lapsed once not renewed")


def test_a_lease_let_go_during_an_outage_is_given_back_when_the_store_answers(
        store_url: str, proxy: Proxy) -> None:
    with RunStore(store_url) as direct, RunStore(proxy.url) as through:
        run = direct.create_run("T-let-go", "cancel_refund").run
        assert through.acquire_lease(run.run_id, "driver", timedelta(minutes=15))
        keeper = LeaseKeeper(lambda: RunStore(proxy.url))
        proxy.cut()
        with pytest.raises(StoreUnavailable):
            through.release_lease(run.run_id, "driver")
        keeper.let_go(run.run_id, "driver")
        assert direct.lease_alive(run.run_id)  # the store is cut: nobody could take it back
        proxy.heal()
        wait_until(lambda: not direct.lease_alive(run.run_id), timedelta(seconds=10),
                   "the lease given back once the store answers")
        assert through.get_run(run.run_id) is not None  # its connection reopened itself


def _expiry(store: RunStore, run_id: str) -> datetime:
    run = store.get_run(run_id)
    assert run is not None and run.lease_expires_at is not None
    return run.lease_expires_at
