"""What every command shares: the context object, and the options accepted anywhere.

``--config`` and ``--log-level`` are accepted before or after the command name (agents put them
wherever they like), and both have an environment variable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from playwright.sync_api import Browser

F = TypeVar("F", bound=Callable[..., Any])
LOG_LEVELS = ("debug", "info", "warning", "error")


class Obj:
    """What every command shares; built once, closed at exit."""

    def __init__(self, json_output: bool = False, browser: Browser | None = None) -> None:
        self.config_path: str | None = None
        self.browser = browser  # a Chromium lent by an in-process caller (runner.cli.main.main)
        self.headed = False
        self.json_output = json_output  # --json anywhere on the line: stdout is the contract
        self.log_level: str | None = None
        self._app: Any = None

    @property
    def app(self) -> Any:
        """The application context (runner.app.context.AppContext), made on first use."""
        if self._app is None:
            from runner.app.context import AppContext

            self._app = AppContext(self.config_path, headed=self.headed, browser=self.browser)
        return self._app

    def set_log_level(self, level: str | None) -> None:
        """The last level given wins; nothing given keeps the default for this output."""
        from runner import logs

        self.log_level = level or self.log_level
        logs.configure(self.log_level, json_output=self.json_output)

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


pass_obj = click.make_pass_decorator(Obj, ensure=True)


def config_option(func: F) -> F:
    """--config is accepted on every command, before or after the command name."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value:
            ctx.ensure_object(Obj).config_path = value
        return value

    return click.option("--config", "config_path", envvar="CERTRUNNER_CONFIG", expose_value=False,
                        callback=remember, help="Config YAML (default: the packaged default.yaml)."
                        )(func)


def log_level_option(func: F) -> F:
    """--log-level, before or after the command name; CERTRUNNER_LOG_LEVEL when not given."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        ctx.ensure_object(Obj).set_log_level(value.lower() if value else None)
        return value

    return click.option("--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False),
                        envvar="CERTRUNNER_LOG_LEVEL", expose_value=False, callback=remember,
                        help="Log level on stderr (default: warning; info for a non-terminal "
                             "without --json).")(func)


def common_options(func: F) -> F:
    """The options every command takes after its name as well as before it."""
    return config_option(log_level_option(func))


def parse_inputs(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--input")
        out[key.strip()] = value
    return out


def ticket_inputs(domain: str, pairs: tuple[str, ...]) -> dict[str, str]:
    """A ticket's flow inputs: its domain and every --input KEY=VALUE."""
    return {"domain": domain, **parse_inputs(pairs)}


def actor_option(func: F) -> F:
    """--as NAME: who is deciding, kept with the decision (CERTRUNNER_OPERATOR, else the OS
    user)."""
    return click.option("--as", "as_name", default=None, metavar="NAME",
                        help="Your name, recorded with the decision (default: "
                             "$CERTRUNNER_OPERATOR, else your OS user).")(func)


def json_option(help: str = "Print JSON.") -> Callable[[F], F]:
    """--json: stdout is then exactly one JSON document (docs/contract.md)."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def ticket_options(func: F) -> F:
    """What starts a ticket's run (``run``, ``enqueue``): FLOW, --ticket, --domain, --input."""
    func = click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE",
                        help="A flow input.")(func)
    func = click.option("--domain", required=True,
                        help="The certificate's domain, exactly as ordered.")(func)
    func = click.option("--ticket", required=True,
                        help="Support ticket id; one run per ticket and flow.")(func)
    return click.argument("flow")(func)
