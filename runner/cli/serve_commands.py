"""The commands that serve runs to other programs: ``serve`` (HTTP API and MCP over HTTP) and
``mcp`` (MCP over stdio, for an agent host that starts certrunner itself)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import click

from runner.cli.options import Obj, config_option, pass_obj
from runner.cli.output import fail
from runner.errors import RunnerError


def service_options(func: Any) -> Any:
    """The options `serve` and `mcp` share: how many runs at once, and the scheduler."""
    func = config_option(pass_obj(func))
    func = click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True,
                        envvar="CERTRUNNER_WORKERS", help="Runs at once (one browser "
                        "context each, all in one Chromium).")(func)
    func = click.option("--poll", type=click.IntRange(1), default=30, show_default=True,
                        help="Seconds between looks for due runs.")(func)
    func = click.option("--queue", "hand_off", is_flag=True, envvar="CERTRUNNER_HAND_OFF",
                        help="Hand new and due runs to the worker fleet (`certrunner worker`, "
                             "CERTRUNNER_BROKER) instead of running them here; answers to a "
                             "person's question are still driven here, never sent through "
                             "the broker.")(func)
    return click.option("--grace", type=click.IntRange(0), default=60, show_default=True,
                        help="Seconds SIGTERM lets running runs reach their next pause.")(func)


def _serve(obj: Obj, given: dict[str, Any], serve: Callable[[], Callable[[Any], int]]) -> None:
    """Check the options (a bad token or host, a missing extra, are errors before anything
    listens), then import the door (``serve``: its web framework comes with an extra), serve."""
    from runner.app.options import ServiceOptions
    from runner.extras import require

    try:
        require("service", "serving HTTP and MCP")
        if given.get("hand_off"):
            require("queue", "handing runs to the workers")
        options = ServiceOptions(
            workers=given.pop("workers"), poll=timedelta(seconds=given.pop("poll")),
            grace=timedelta(seconds=given.pop("grace")), config_path=obj.config_path,
            headed=obj.headed, **given).with_token_from_env()
        options.check()
    except RunnerError as exc:
        fail(exc, False)
    sys.exit(serve()(options))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="CERTRUNNER_HOST",
              help="Address to listen on; beyond loopback CERTRUNNER_API_TOKEN is required.")
@click.option("--port", type=click.IntRange(0, 65535), default=8700, show_default=True,
              envvar="CERTRUNNER_PORT", help="Port to listen on.")
@service_options
def serve_cmd(obj: Obj, **given: Any) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json) and MCP (/mcp) with a warm browser."""

    def door() -> Callable[[Any], int]:
        from runner.service.serve import serve

        return serve

    _serve(obj, given, door)


@click.command("mcp")
@service_options
def mcp_cmd(obj: Obj, **given: Any) -> None:
    """Serve the MCP tools over stdio (for an agent host that starts certrunner itself)."""
    def door() -> Callable[[Any], int]:
        from runner.mcp.stdio import serve_mcp_stdio

        return serve_mcp_stdio

    _serve(obj, given, door)


COMMANDS = (serve_cmd, mcp_cmd)
