"""The selector check as an HTML page a person reads offline at 3 am.

The markup lives in a Jinja2 template shipped with the package (``templates/report.html.j2``,
its style in ``report.css``) so that changing how the report looks touches no Python. Screenshots
are embedded, so the file can be mailed or attached on its own.
"""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from runner.selectors.report import INCOMPLETE, LOCATOR_STATUSES, CheckReport


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("runner.selectors", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    return env


def render_html(report: CheckReport) -> str:
    """The report page: verdict and headline first, then each problem beside its screenshot."""
    verdict = {0: "ok", 1: "drift", 2: "incomplete"}[report.exit_code]
    problems = [p for p in report.pages if p.drift or p.status in INCOMPLETE]
    return _environment().get_template("report.html.j2").render(
        report=report, verdict=verdict, totals=report.totals(), statuses=LOCATOR_STATUSES,
        problems=problems, incomplete=INCOMPLETE)


def write_html(report: CheckReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
