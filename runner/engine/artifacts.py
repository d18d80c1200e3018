"""What a failed step leaves for the maintainers: a screenshot of every open console tab and
the browser trace. Only when the run had a browser; a screenshot that fails is logged, not
raised, so the run's own error stays the one reported."""

from __future__ import annotations

from playwright.sync_api import Error as PlaywrightError

from runner.engine.lazy_session import SessionHolder
from runner.logs import get_logger


def failure_artifacts(holder: SessionHolder, step_id: str) -> list[str]:
    if not holder.started:
        return []
    shots = _screenshots(holder, step_id)
    trace = holder.get().save_trace(holder.run_dir / f"trace-{step_id}.zip")
    return shots + ([str(trace)] if trace else [])


def _screenshots(holder: SessionHolder, step_id: str) -> list[str]:
    paths = []
    for console, page in holder.get().open_pages().items():
        path = holder.run_dir / f"failure-{step_id}-{console}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except PlaywrightError as exc:
            get_logger().warning("screenshot_failed", console=console, error=exc.message)
            continue
        paths.append(str(path))
    return paths
