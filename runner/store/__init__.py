"""Persistence: runs, their events and leases, the side-effect ledger, claims, migrations.

The one database every process shares (a SQLite file or PostgreSQL). The engine and the
application layer read and write runs only through ``RunStore`` (``runner.store.runs``).
"""
