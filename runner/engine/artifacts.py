"""What a failed step leaves for the maintainers: a screenshot of every open console tab and
the browser trace. Only when the run had a browser; the session takes the screenshots and logs
one that fails rather than raising, so the run's own error stays the one reported."""

from __future__ import annotations

from collections.abc import Iterable

from runner.engine.lazy_session import SessionHolder


def failure_artifacts(holder: SessionHolder, step_id: str,
                      answers: Iterable[str] = ()) -> list[str]:
    """Screenshots and the trace; ``answers`` (the run's single-use inputs, such as the captcha
    number it typed) are masked in the trace like its cookies."""
    if not holder.started:
        return []
    session = holder.get()
    shots: list[str] = session.failure_screenshots(holder.run_dir, step_id)
    trace = session.save_trace(holder.run_dir / f"trace-{step_id}.zip", answers)
    return shots + ([str(trace)] if trace else [])
