"""Metrics, traces and what alerts read: what an on-call engineer sees of the runner.

``hooks`` is what the engine calls (a drive, a step, a page action); ``metrics`` the counters
a process keeps; ``store_gauges`` and ``nightly`` what is read at scrape time so that every
process agrees; ``exposition`` the service's ``/metrics`` and a worker's port; ``worker`` the
Celery side; ``tracing`` the optional OpenTelemetry spans. The alert rules and the dashboard
over these names ship in ``ops/``.
"""
