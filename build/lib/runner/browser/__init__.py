"""Browser sessions: the one Chromium launcher and per-run contexts with saved logins."""
