"""``certrunner mcp``: the MCP tools over stdin/stdout, for an agent host that spawns certrunner.
stdout carries only the protocol; logs go to stderr."""

from __future__ import annotations

from runner.app.options import ServiceOptions
from runner.app.warm import RunService, exit_mid_run
from runner.mcp.tools import build_mcp


def serve_mcp_stdio(options: ServiceOptions) -> int:
    service = RunService(options)
    service.start()
    try:
        build_mcp(service).run("stdio")
    finally:
        if service.stop():
            exit_mid_run(service)
    return 0
