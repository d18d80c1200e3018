"""Injected clocks, and the rule that only the sandbox may fake time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from runner.clock import ENV_VAR, FixedClock, OffsetClock, SystemClock, clock_from_env
from runner.errors import ConfigError, InputError

AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def test_system_clock_is_aware_utc():
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_fixed_clock_stands_still_and_advances():
    clock = FixedClock(datetime(2026, 5, 1, 19, 0, tzinfo=timezone(timedelta(hours=10))))
    assert clock.now() == AT and clock.now().tzinfo is UTC
    clock.advance(timedelta(days=2))
    assert clock.now() == AT + timedelta(days=2)


def test_fixed_clock_refuses_naive():
    with pytest.raises(InputError) as caught:
        FixedClock(datetime(2026, 5, 1))
    assert caught.value.code == "naive_datetime"


def test_offset_clock_shifts_its_base():
    base = FixedClock(AT)
    assert OffsetClock(timedelta(days=31), base).now() == AT + timedelta(days=31)


def test_no_override_is_the_system_clock():
    assert isinstance(clock_from_env(allow_override=False, env={}), SystemClock)


@pytest.mark.parametrize("source", ["value", "env"])
def test_override_refused_outside_the_sandbox(source):
    value, env = ("2026-05-01T09:00:00+00:00", {}) if source == "value" else (
        None, {ENV_VAR: "2026-05-01T09:00:00+00:00"})
    with pytest.raises(ConfigError) as caught:
        clock_from_env(value, allow_override=False, env=env)
    assert caught.value.code == "clock_override_forbidden"


def test_iso_override_fixes_the_time():
    clock = clock_from_env(allow_override=True, env={ENV_VAR: "2026-05-01T19:00:00+10:00"})
    assert isinstance(clock, FixedClock) and clock.now() == AT


def test_shift_override_moves_real_time():
    clock = clock_from_env("-2h", allow_override=True, env={})
    assert isinstance(clock, OffsetClock) and clock.offset == -timedelta(hours=2)
    assert clock_from_env("+31d", allow_override=True, env={}).offset == timedelta(days=31)


@pytest.mark.parametrize("bad", ["tomorrow", "2026-05-01T09:00:00", "+3 days", "+0s"])
def test_bad_override(bad):
    with pytest.raises(ConfigError) as caught:
        clock_from_env(bad, allow_override=True, env={})
    assert caught.value.code == "clock_override_invalid"
