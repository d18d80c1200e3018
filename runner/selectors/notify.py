"""Tell someone: POST a short JSON summary when the nightly check finds drift or an outage.

A webhook (a chat channel, an incident tool) is what wakes the on-call engineer; the full report
stays on disk and the summary says where. A failed post never changes the check's exit code
(the verdict is the check's, not the webhook's): it is reported beside the verdict instead.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from runner.selectors.report import EXIT_OK, CheckReport

NOTIFY_TIMEOUT_S = 10


def summary(report: CheckReport, reports: dict[str, str]) -> dict[str, Any]:
    """What an alert needs: verdict, headline, each broken declaration with its best fix."""
    return {
        "source": "certrunner verify-selectors",
        "ok": report.exit_code == EXIT_OK,
        "exit_code": report.exit_code,
        "headline": report.headline(),
        "message": report.message(),
        "unreachable": report.unreachable,
        "not_checked": [p.page for p in report.not_checked],
        "broken": [{"declared_in": r.declared_in, "where": r.where, "locator": r.locator,
                    "status": r.status, "page": p.page, "money": r.money, "review": r.review,
                    "proposal": r.proposals[0].declaration if r.proposals else None}
                   for p, r in report.proposals()],
        "needs_review": len(report.money_reviews()),
        "changes": len(report.changes),
        "reports": reports,
    }


def notify(url: str, report: CheckReport, reports: dict[str, str]) -> dict[str, Any]:
    """POST the summary if there is something to act on; answer what happened, for the JSON."""
    if report.exit_code == EXIT_OK:
        return {"url": url, "sent": False, "reason": "nothing to report"}
    body = json.dumps(summary(report, reports)).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT_S) as response:
            return {"url": url, "sent": True, "status": response.status}
    except urllib.error.HTTPError as exc:
        return {"url": url, "sent": False, "reason": f"HTTP {exc.code}"}
    except (urllib.error.URLError, OSError) as exc:
        return {"url": url, "sent": False, "reason": str(getattr(exc, "reason", exc))}
