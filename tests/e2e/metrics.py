"""Reading a process's ``/metrics`` as Prometheus would: prometheus_client's own text parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample by (name, labels); the parser raises on anything malformed."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def check_pending_and_issued(samples: Samples, person_wait_at_most: float) -> None:
    """After one pending ticket (refunded straight away) and one issued ticket (paused for its
    captcha), both through cancel_refund, in a store that had nothing else."""
    flow = "cancel_refund"
    assert value(samples, "certrunner_runs_started_total", flow=flow) == 2
    assert value(samples, "certrunner_runs_finished_total", flow=flow, status="succeeded",
                 outcome="refunded") == 1
    assert value(samples, "certrunner_side_effects_done_total", kind="pm.refund") == 1
    # Both runs looked the order up; only the pending one refunded straight away.
    assert value(samples, "certrunner_step_duration_seconds_count", flow=flow, step="order",
                 kind="action") == 2
    order_seconds = value(samples, "certrunner_step_duration_seconds_sum", flow=flow,
                          step="order", kind="action")
    assert order_seconds is not None and order_seconds > 0
    assert value(samples, "certrunner_step_duration_seconds_count", flow=flow,
                 step="refund_now", kind="action") == 1
    assert value(samples, "certrunner_step_duration_seconds_bucket", flow=flow, step="order",
                 kind="action", le="+Inf") == 2
    assert value(samples, "certrunner_runs_waiting_for_person", reason="provide_input") == 1
    assert value(samples, "certrunner_runs_waiting_for_person", reason="confirm_side_effect") == 0
    age = value(samples, "certrunner_person_wait_oldest_seconds", reason="provide_input")
    assert age is not None and 0 <= age <= person_wait_at_most, age
    assert value(samples, "certrunner_runs_waiting_for_customer") == 0
    assert value(samples, "certrunner_drives_in_progress") == 0
    assert value(samples, "certrunner_browser_up") == 1
