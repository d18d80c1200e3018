"""The refund-window gate: 30 days, inclusive, aware datetimes only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from runner.engine.window import REFUND_WINDOW, cap_deadline, decide
from runner.errors import InputError

BOUGHT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
PLUS_TEN = timezone(timedelta(hours=10))


def test_exactly_thirty_days_is_eligible():
    decision = decide(BOUGHT, BOUGHT + timedelta(days=30))
    assert decision.eligible
    assert decision.window_ends_at == datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    assert decision.days_left == 0


def test_one_second_later_is_not():
    decision = decide(BOUGHT, BOUGHT + timedelta(days=30, seconds=1))
    assert not decision.eligible
    assert decision.days_left == 0


def test_days_left_counts_whole_days():
    assert decide(BOUGHT, BOUGHT + timedelta(days=20, hours=1)).days_left == 9
    assert decide(BOUGHT, BOUGHT).days_left == 30


def test_purchase_in_plus_ten_now_in_utc():
    bought = datetime(2026, 3, 1, 8, 0, tzinfo=PLUS_TEN)  # 2026-02-28T22:00Z
    ends_utc = datetime(2026, 3, 30, 22, 0, tzinfo=UTC)
    assert decide(bought, ends_utc).eligible
    assert not decide(bought, ends_utc + timedelta(seconds=1)).eligible
    # the naive reading (08:00 as if UTC) would wrongly still allow a refund here
    assert not decide(bought, datetime(2026, 3, 31, 7, 0, tzinfo=UTC)).eligible


def test_iso_strings_with_offsets_are_parsed():
    decision = decide("2026-03-01T08:00:00+10:00", "2026-03-30T22:00:00Z")
    assert decision.eligible
    assert decision.window_ends_at == datetime(2026, 3, 31, 8, 0, tzinfo=PLUS_TEN)


@pytest.mark.parametrize(("purchased", "now"), [
    (datetime(2026, 3, 1, 10, 0), BOUGHT),
    (BOUGHT, datetime(2026, 3, 5)),
    ("2026-03-01T10:00:00", BOUGHT),
])
def test_naive_datetimes_are_refused(purchased, now):
    with pytest.raises(InputError, match="has no time zone") as caught:
        decide(purchased, now)
    assert caught.value.code == "naive_datetime"


def test_garbage_date_is_refused():
    with pytest.raises(InputError) as caught:
        decide("last Tuesday", BOUGHT)
    assert caught.value.code == "bad_datetime"


def test_customer_message_explains_the_policy_and_offers_cancellation():
    message = decide(BOUGHT, BOUGHT + timedelta(days=45)).message
    assert "within 30 days of purchase" in message
    assert "purchased on 1 March 2026" in message
    assert "ended on 31 March 2026" in message
    assert "cancel the certificate for you, without a refund" in message


def test_message_dates_are_in_the_purchase_time_zone():
    bought = datetime(2026, 3, 1, 8, 0, tzinfo=PLUS_TEN)  # still 28 February in UTC
    message = decide(bought, bought + timedelta(days=31)).message
    assert "purchased on 1 March 2026" in message and "ended on 31 March 2026" in message


def test_eligible_message_is_not_a_refusal():
    message = decide(BOUGHT, BOUGHT + timedelta(days=29)).message
    assert message == "Refund possible until 31 March 2026 (1 day left)."


def test_window_length_is_a_parameter():
    assert REFUND_WINDOW.days == 30
    assert not decide(BOUGHT, BOUGHT + timedelta(days=8), window=timedelta(days=7)).eligible
    with pytest.raises(InputError):
        decide(BOUGHT, BOUGHT, window=timedelta(0))


def test_cap_deadline_never_outlives_the_window():
    ends = BOUGHT + REFUND_WINDOW
    assert cap_deadline(BOUGHT + timedelta(days=40), ends) == ends
    assert cap_deadline(BOUGHT + timedelta(days=3), ends) == BOUGHT + timedelta(days=3)
    assert cap_deadline(BOUGHT + timedelta(days=40), ends.isoformat()) == ends
    with pytest.raises(InputError):
        cap_deadline(datetime(2026, 4, 1), ends)
