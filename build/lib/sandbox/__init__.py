"""A working replica of the vendor consoles (Product Management, Symantec, GeoTrust, mail, portal).

One Flask app with SQLite state serves every console under its own path prefix; see
``docs/sandbox-ui.md`` for the contract the page objects rely on. Entry points:
``sandbox.app.create_app``, ``sandbox.server.SandboxServer`` and the ``sandbox.cli`` click group.
"""
