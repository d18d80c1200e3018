"""``certrunner serve``: one long-lived process with a warm Chromium, N workers, a scheduler for
due runs, an HTTP API and the MCP tools, all on the same engine and JSON contract as the CLI."""
