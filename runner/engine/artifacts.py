"""What a failed step leaves for the maintainers: a screenshot of every open console tab, the
tabs' HTML and accessibility snapshots with the journal of what the page objects did (and the
browser trace, when one is recorded: ``browser.trace_on_failure``). Only when the run had a
browser; the session logs what it cannot take rather than raising, so the run's own error
stays the one reported."""

from __future__ import annotations

from collections.abc import Iterable

from runner.engine.lazy_session import SessionHolder


def failure_artifacts(holder: SessionHolder, step_id: str,
                      answers: Iterable[str] = ()) -> list[str]:
    """Screenshots, the evidence zip and the trace when one was recorded; ``answers`` (the run's
    single-use inputs, such as the captcha number it typed) are masked in the trace like its
    cookies."""
    if not holder.started:
        return []
    evidence: list[str] = holder.get().failure_evidence(holder.run_dir, step_id, answers)
    return evidence
