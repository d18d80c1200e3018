"""The action contract: what a page-object action must declare for flows and the engine to use it.

The engine owns this contract and page objects implement it, so ``pages`` imports the engine and
never the other way round. Actions register themselves with ``@action`` when their module is
imported; ``load_catalogue`` imports the modules a deployment names (``pages`` by default, by name
only) and hands the result to validation and to the executor. Nothing here imports Playwright, so
validating a flow needs no browser.
"""

from __future__ import annotations

import enum
import importlib
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from runner.error_codes import CONSOLE_COMMON, ErrorCode

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

    from runner.config import Config

DEFAULT_ACTION_MODULES = ("pages",)
ALREADY_DONE = "already_done"  # an output of every side effect: the console showed it done first
# Error context a side effect's page sets when it failed before the click that has the effect
# (e.g. GeoTrust failed on the form before Request Access): the ledger forgets the attempt.
NOT_CLICKED = "not_clicked"


class Effect(enum.Enum):
    """Whether an action may change anything on a console."""

    READ = "read"
    SIDE_EFFECT = "side_effect"


class Actor(enum.Enum):
    """Whose hands the action plays: ours (support) or the customer's (demo, tests, benchmarks).

    Flows run as support, so validation refuses a customer action: a flow that cancels in the
    customer's own portal would do what only the customer may do.
    """

    SUPPORT = "support"
    CUSTOMER = "customer"


class ActionContext(Protocol):
    """What an action gets from the engine: a tab per console and the run's settings."""

    def page(self, console: str) -> Page: ...
    def base_url(self, console: str) -> str: ...
    def credentials(self, console: str) -> tuple[str, str]: ...


class RunContext(ActionContext, Protocol):
    """The rest of a run session some actions need (``runner.browser.session.RunSession``).

    ``context`` lets a login happen in a separate, untraced browser context; ``run_dir`` takes
    artifacts such as the captcha image.
    """

    config: Config
    context: BrowserContext
    run_dir: Path

    def save_login_state(self, console: str, state: dict[str, Any] | None = None) -> None: ...


class PageWitness(Protocol):
    """Keeps what an action saw on a page the nightly selector check cannot reach itself.

    Set around an action by whoever calls it (the engine, the customer's player); a page object
    tells it when its page is on the tab (``PageObject.seen``). Nothing set: nothing is kept.
    """

    def saw(self, page: str, url: str, snapshot: str) -> None: ...


_WITNESS: ContextVar[PageWitness | None] = ContextVar("certrunner_page_witness", default=None)


@contextmanager
def witnessed_by(witness: PageWitness | None) -> Iterator[None]:
    """Page objects called inside the block report the pages they pass to ``witness``."""
    token = _WITNESS.set(witness)
    try:
        yield
    finally:
        _WITNESS.reset(token)


def page_witness() -> PageWitness | None:
    """The witness of the action running in this thread, if any."""
    return _WITNESS.get()


class PageJournal(Protocol):
    """Notes what page objects do, as they do it, for the evidence a failed run leaves.

    Pages opened, controls found and clicked and what the console answered: never a value
    typed (a captcha answer, a password). Set around an action by the engine; nothing set,
    nothing noted.
    """

    def note(self, event: str, **fields: Any) -> None: ...


_JOURNAL: ContextVar[PageJournal | None] = ContextVar("certrunner_page_journal", default=None)


@contextmanager
def journaled_by(journal: PageJournal | None) -> Iterator[None]:
    """Page objects called inside the block note what they do in ``journal``."""
    token = _JOURNAL.set(journal)
    try:
        yield
    finally:
        _JOURNAL.reset(token)


def note(event: str, **fields: Any) -> None:
    """Note a page object's move in the running action's journal, if any (a list append)."""
    journal = _JOURNAL.get()
    if journal is not None:
        journal.note(event, **fields)


@dataclass(frozen=True)
class ActionSpec:
    """A registered page-object action as flows see it."""

    name: str
    effect: Effect
    func: Callable[..., Any]
    inputs: tuple[str, ...]
    optional_inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    doc: str
    # For side effects: a read-only action that tells whether the effect is already visible on
    # the console (the executor calls it before clicking and after a crash), and the expression
    # over its outputs (``probe.<field>``) that says "done". No rule: the console cannot tell.
    probe: str | None = None
    done_if: str | None = None
    # Pays money out: the executor checks the refund window again right before it clicks.
    moves_money: bool = False
    actor: Actor = Actor.SUPPORT
    # Every error code the action may raise: a flow's on_error may name only these.
    raises: frozenset[ErrorCode] = frozenset()


Catalogue = Mapping[str, ActionSpec]

_REGISTRY: dict[str, ActionSpec] = {}


def action(name: str, effect: Effect = Effect.READ, *, returns: type | None = None,
           probe: str | None = None, done_if: str | None = None, moves_money: bool = False,
           actor: Actor = Actor.SUPPORT, raises: Iterable[ErrorCode] = ()
           ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func(ctx, **inputs) -> dataclass`` as the flow action ``name``.

    ``raises`` lists the codes particular to this action; what any console page may run into
    (timeouts, server errors, drift: ``CONSOLE_COMMON``) is added here, so flows can name those
    in ``on_error`` too.
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(func).parameters.values())[1:]
        required = tuple(p.name for p in params if p.default is inspect.Parameter.empty)
        optional = tuple(p.name for p in params if p.default is not inspect.Parameter.empty)
        outputs = (tuple(f.name for f in fields(returns))
                   if returns and is_dataclass(returns) else ())
        if effect is Effect.SIDE_EFFECT:
            if probe is None:
                raise TypeError(f"side-effecting action {name} must name a probe")
            outputs += () if ALREADY_DONE in outputs else (ALREADY_DONE,)
        _REGISTRY[name] = ActionSpec(name, effect, func, required, optional, outputs,
                                     inspect.getdoc(func) or "", probe, done_if, moves_money,
                                     actor, frozenset(raises) | frozenset(CONSOLE_COMMON))
        return func

    return register


def load_catalogue(modules: Iterable[str] = DEFAULT_ACTION_MODULES) -> Catalogue:
    """Import the modules that declare actions and answer every action registered so far."""
    for module in modules:
        importlib.import_module(module)
    return MappingProxyType(dict(_REGISTRY))
