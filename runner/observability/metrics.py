"""The metrics a process counts itself: runs started and finished, step durations, console
errors, side effects done, drives in progress.

They live in a registry of their own (``REGISTRY``), not prometheus_client's global one, so a
process exposes exactly these, the store's gauges (``runner.observability.store_gauges``) and
its own process figures, and a test can list every name. Labels are bounded by construction:
flow and step names come from the shipped flows, kinds and statuses from enums, outcomes and
error codes from the flows and the error catalogue, consoles from the page modules. A ticket, a
run id, a domain or a host never becomes a label (each would make a new series per value).

Counters in a CLI process die with the command; only the service and the workers, which are
scraped, expose them. What must agree across processes (how many runs wait, and how long) is
read from the store at scrape time instead.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

PREFIX = "certrunner"
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

# A step is a page or two in a browser: tens of milliseconds (the gate) to a minute (a slow
# console); the buckets cover that range.
STEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

RUNS_STARTED = Counter(f"{PREFIX}_runs_started", "Runs whose first drive began, by flow.",
                       ["flow"], registry=REGISTRY)
RUNS_FINISHED = Counter(
    f"{PREFIX}_runs_finished",
    "Drives that left a run finished (succeeded, denied) or failed, by flow, status and "
    "outcome (a failed run's outcome is its error code; a retried failure counts again).",
    ["flow", "status", "outcome"], registry=REGISTRY)
STEP_SECONDS = Histogram(f"{PREFIX}_step_duration_seconds",
                         "Time of each step that ran (skipped steps are not counted).",
                         ["flow", "step", "kind"], buckets=STEP_BUCKETS, registry=REGISTRY)
CONSOLE_ERRORS = Counter(f"{PREFIX}_console_errors",
                         "Console and drift errors a step met (failed, or sent back by "
                         "on_error), by console and error code.",
                         ["console", "code"], registry=REGISTRY)
SIDE_EFFECTS = Counter(f"{PREFIX}_side_effects_done",
                       "Side effects this runner clicked and the console confirmed, by action.",
                       ["kind"], registry=REGISTRY)
DRIVES_IN_PROGRESS = Gauge(f"{PREFIX}_drives_in_progress",
                           "Runs this process is driving right now.", registry=REGISTRY)
