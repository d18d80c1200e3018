"""The alert rules and the dashboard shipped in ops/ name only metrics the runner exposes, and
docs/operations.md says what to do about every metric and every alert."""

from __future__ import annotations

import json
import re
from contextlib import nullcontext
from pathlib import Path

import yaml

from runner.clock import SystemClock
from runner.observability.exposition import registry
from runner.store.runs import RunStore

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "ops" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "ops" / "grafana" / "certrunner.json"
OPERATIONS = ROOT / "docs" / "operations.md"
NAME = re.compile(r"\bcertrunner_[a-z0-9_]+")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count",
                                                             "_created"),
            "gauge": ("",)}


def _exposed(tmp_path: Path) -> dict[str, set[str]]:
    """Metric family name -> the series names a query may use, from the registry itself
    (with a nightly report in the state home, so that its gauges appear too)."""
    night = tmp_path / "reports" / "20260310T020000Z"
    night.mkdir(parents=True)
    (night / "report.json").write_text(json.dumps({
        "exit_code": 0, "started_at": "2026-03-10T02:00:00+00:00",
        "totals": {"pages_ok": 1, "pages_drift": 0, "pages_skipped": 0}}))
    store = RunStore(tmp_path / "runs.db", clock=SystemClock())
    exposed = registry(lambda: nullcontext(store), tmp_path,
                       lambda: {"workers": 1, "busy": 0, "browser_up": True})
    families = {f.name: {f.name + s for s in SUFFIXES.get(f.type, ("",))}
                for f in exposed.collect() if f.name.startswith("certrunner_")}
    store.close()
    return families


def _rules() -> list[dict[str, object]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_alert_rules_parse_and_each_has_a_severity_summary_and_runbook() -> None:
    rules = _rules()
    names = [str(r["alert"]) for r in rules]
    assert len(names) == len(set(names)) >= 5
    for rule in rules:
        assert isinstance(rule["expr"], str) and rule["expr"].strip()
        assert rule["labels"]["severity"] in ("page", "ticket")  # type: ignore[index]
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        assert annotations["summary"]
        assert annotations["runbook"] == f"docs/operations.md#{str(rule['alert']).lower()}"


def test_rules_and_dashboard_name_only_exposed_metrics(tmp_path: Path) -> None:
    series = set().union(*_exposed(tmp_path).values())
    named_by_rules = {n for r in _rules() for n in NAME.findall(str(r["expr"]))}
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    named_by_dashboard = {n for q in queries for n in NAME.findall(q)}
    assert named_by_rules and named_by_dashboard
    assert named_by_rules - series == set()
    assert named_by_dashboard - series == set()


def test_operations_doc_covers_every_metric_and_alert(tmp_path: Path) -> None:
    text = OPERATIONS.read_text()
    missing = [name for name in _exposed(tmp_path) if f"`{name}" not in text]
    assert missing == [], "metrics without a word in docs/operations.md"
    headings = {line.lstrip("#").strip() for line in text.splitlines()
                if line.startswith("#")}
    assert [str(r["alert"]) for r in _rules() if str(r["alert"]) not in headings] == []
