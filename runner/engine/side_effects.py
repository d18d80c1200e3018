"""Side effects go through the ledger: intent is written before the click, proof after.

A refund clicked twice is the worst bug this project can have, and mail and money are per
order, so before every click we ask two witnesses whether the effect already happened: the
ledger (did any run, of any ticket, try it on this order?) and the console itself (does the
page already show it, whoever did it?). The click happens only when both say no, and only by
the run that holds the order's ledger row:

- the row is confirmed: the effect is done; nothing is clicked, whoever asks;
- another run's attempt is open and that run is alive: it may be mid-click, so this run waits;
- an attempt whose fate is unknown (its process died between intent and confirmation, ours or
  another run's) is never clicked again blindly: the console is read; a console that can tell
  (the Transaction page shows the refund or not) settles it, and only where the console cannot
  tell (GeoTrust keeps no trace of an access request) a person decides.

The intent is written only when the console has been read and the click is next: a page that
fails before it (a renamed button, a console down) leaves no attempt, and a click the page
never made is recorded as abandoned with ``not_clicked`` evidence; neither asks anyone.

Checks that may stop a click (the refund window) run after both witnesses, right before it:
a refund that happened is reported as done even when the window has closed since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from runner.actions import ALREADY_DONE, NOT_CLICKED, ActionSpec
from runner.errors import BusinessError, InputError, RunnerError
from runner.jsonable import as_dict
from runner.language.expressions import truthy
from runner.store.ledger import LedgerEntry, LedgerStatus
from runner.store.runs import RunStore

CONFIRM_DONE = "done"    # a person checked the console: the effect happened
# How many times the guard decides again when the ledger row changed while it was deciding
# (another run finished its attempt meanwhile); past that it asks a person, never clicks.
REREADS = 3
CONFIRM_RETRY = "retry"  # a person checked the console: it did not happen, try again
SETTLE_AFTER = timedelta(seconds=30)  # the shipped navigation timeout


@dataclass
class NeedsConfirmation(Exception):
    """The ledger shows an attempt whose result the console cannot confirm: ask a person."""

    action: str
    order_key: str
    attempted_at: str
    probe: dict[str, Any] | None
    run_id: str  # whose attempt it was (this run's own, or another's that is gone)
    ticket: str


@dataclass
class BusyElsewhere(Exception):
    """Another live run is attempting this effect on this order right now: come back later."""

    action: str
    order_key: str
    run_id: str
    ticket: str


@dataclass
class Unsettled(Exception):
    """An unfinished attempt the console does not show, too recent to be sure no answer to it
    is still on its way: look again at ``settles_at`` (no person needed)."""

    action: str
    order_key: str
    run_id: str
    ticket: str
    settles_at: datetime


class LazyArgs(Mapping[str, Any]):
    """An action's arguments, each rendered when first read.

    A side effect the ledger already shows done needs none of them, and the probe only some:
    a captcha answer, used once and never stored, is gone when a paused run resumes.
    """

    def __init__(self, templates: Mapping[str, Any], render: Callable[[Any], Any]) -> None:
        self._templates = dict(templates)
        self._render = render
        self._rendered: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._rendered:
            self._rendered[key] = self._render(self._templates[key])
        return self._rendered[key]

    def __contains__(self, key: object) -> bool:
        return key in self._templates

    def __iter__(self) -> Iterator[str]:
        return iter(self._templates)

    def __len__(self) -> int:
        return len(self._templates)


@dataclass(frozen=True)
class Attempt:
    """Who asks for which effect on which order."""

    spec: ActionSpec
    args: Mapping[str, Any]
    order_key: str
    run_id: str
    ticket: str


class LedgerGuard:
    """Runs one side-effecting action at most once per (action, order), across runs."""

    def __init__(self, store: RunStore, actions: Mapping[str, ActionSpec],
                 call: Callable[[ActionSpec, dict[str, Any]], Any],
                 settle_after: timedelta = SETTLE_AFTER,
                 now: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.ledger = store.ledger
        self.actions = actions
        self.call = call  # runs an action in the run's browser session (with read retries)
        # How long after an attempt's intent an answer to its click may still arrive (the
        # runner's own wait for a page: browser.navigation_timeout_ms).
        self.settle_after = settle_after
        self.now = now or store.clock.now  # the runner's clock (tests may set it)

    def run(self, spec: ActionSpec, args: Mapping[str, Any], *, ticket: str, run_id: str,
            order_key: str, confirmation: str | None = None,
            before_click: Callable[[], None] | None = None) -> dict[str, Any]:
        """The action's outputs; ``already_done`` is True when it was done before this run.

        The intent is written only once the console has been read and shows the control due
        (the probe reads the page the click happens on), right before the click: a page that
        fails before that (drift, a console down) leaves no attempt behind, so resuming needs
        no person. ``before_click`` runs only when nothing shows the effect and this run is
        about to click; whatever it raises leaves this run's fresh claim abandoned.
        """
        attempt = Attempt(spec, args, order_key, run_id, ticket)
        for _ in range(REREADS):
            known = self.ledger.get(spec.name, order_key)
            if known is not None and known.status is LedgerStatus.CONFIRMED:
                return self._recorded(known, run_id)
            try:
                visible, shown = self._probe(spec, args)
            except RunnerError as exc:
                # Nothing written, nothing clicked: a resume starts afresh, asking nobody.
                exc.with_context(**{NOT_CLICKED: True})
                raise
            claim = self.ledger.begin(spec.name, order_key, run_id=run_id, ticket=ticket)
            entry = claim.entry
            if entry.status is LedgerStatus.CONFIRMED:
                return self._recorded(entry, run_id)
            if visible:
                return self._seen(attempt, entry, shown, claim.created)
            if claim.created:
                return self._click(attempt, before_click)
            if entry.run_id != run_id and self.store.lease_alive(entry.run_id):
                raise BusyElsewhere(spec.name, order_key, entry.run_id, entry.ticket)
            # Its run is not working now, but it may have been a moment ago: it may have
            # clicked, confirmed and let its lease go after this run read the row and the
            # console. Only a row that is still the one read is an attempt nobody finished.
            if _same_attempt(self.ledger.get(spec.name, order_key), entry):
                break
        return self._unfinished(attempt, entry, visible, shown, confirmation, before_click)

    def _unfinished(self, attempt: Attempt, entry: LedgerEntry, visible: bool | None,
                    shown: dict[str, Any], confirmation: str | None,
                    before_click: Callable[[], None] | None) -> dict[str, Any]:
        """An attempt that no working run holds and the console does not show.

        A console that can tell (``done_if``: the Transaction page shows a refund or not)
        settles it: the effect is not there, so the attempt never took, and it is made again
        once any answer to it would have arrived (``settle_after``). Only a console that cannot
        tell (GeoTrust keeps no trace of an access request) makes a person say whether it
        happened (``confirmation``), or asks.
        """
        spec, order_key = attempt.spec, attempt.order_key
        if confirmation == CONFIRM_DONE:
            return self._seen(attempt, entry, shown, False, source="confirmed_by_person")
        if visible is False and confirmation != CONFIRM_RETRY:
            settles_at = entry.attempted_at + self.settle_after
            if self.now() < settles_at:
                raise Unsettled(spec.name, order_key, entry.run_id, entry.ticket, settles_at)
            return self._again(attempt, entry, before_click, source="console_settled")
        if confirmation == CONFIRM_RETRY:
            return self._again(attempt, entry, before_click, source="person_said_retry")
        raise NeedsConfirmation(spec.name, order_key, entry.attempted_at.isoformat(),
                                shown or None, entry.run_id, entry.ticket)

    def _again(self, attempt: Attempt, entry: LedgerEntry,
               before_click: Callable[[], None] | None, source: str) -> dict[str, Any]:
        """Make an unfinished attempt this run's (one taker, with a fresh time) and click."""
        taken = self.ledger.take_over(entry, run_id=attempt.run_id, ticket=attempt.ticket,
                                      evidence={"previous": _previous(entry), "source": source})
        if taken is None:
            raise BusyElsewhere(attempt.spec.name, attempt.order_key, entry.run_id, entry.ticket)
        return self._click(attempt, before_click)

    def _probe(self, spec: ActionSpec,
               args: Mapping[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        """(effect visible?, what the console showed); None when the console cannot tell."""
        if not spec.probe:
            return None, {}
        probe = self.actions[spec.probe]
        probe_args = {k: args[k] for k in (*probe.inputs, *probe.optional_inputs) if k in args}
        shown = as_dict(self.call(probe, probe_args))
        if not spec.done_if:
            return None, shown
        return bool(truthy(spec.done_if, {"probe": shown})), shown

    @staticmethod
    def _recorded(entry: LedgerEntry, run_id: str) -> dict[str, Any]:
        """A confirmed row's outputs, as this run sees them: done already unless it did it."""
        outputs = dict(entry.evidence.get("outputs", {}))
        if entry.run_id != run_id:
            outputs[ALREADY_DONE] = True
        return outputs

    def _seen(self, attempt: Attempt, entry: LedgerEntry, shown: dict[str, Any],
              fresh: bool, source: str | None = None) -> dict[str, Any]:
        """The effect is there (the console shows it, or a person says so): record it.

        The row's outputs are told from its attempting run's side: done already if that run's
        claim was fresh (nobody had clicked), by it otherwise.
        """
        if source is None:
            source = ("console_before_click" if fresh else "console_after_crash"
                      if entry.run_id == attempt.run_id else "console_after_other_run")
        outputs = {**self._outputs_from_probe(attempt.spec, shown), ALREADY_DONE: fresh}
        confirmed = self.ledger.confirm(attempt.spec.name, attempt.order_key,
                                        {"outputs": outputs, "source": source,
                                         "console": shown, "seen_by": attempt.run_id})
        return self._recorded(confirmed, attempt.run_id)

    def _click(self, attempt: Attempt, before_click: Callable[[], None] | None) -> dict[str, Any]:
        spec, order_key = attempt.spec, attempt.order_key
        try:
            if before_click is not None:
                before_click()
            args = dict(attempt.args)  # e.g. a captcha answer no longer given: nothing clicked
        except BaseException as exc:
            self.ledger.abandon(spec.name, order_key, run_id=attempt.run_id,
                                evidence={"not_clicked": type(exc).__name__})
            raise
        try:
            result = self.call(spec, args)
        except (BusinessError, InputError) as exc:
            # The console refused before anything happened (not allowed, wrong captcha):
            # nothing was done, so a later attempt may start afresh.
            self.ledger.abandon(spec.name, order_key, run_id=attempt.run_id,
                                evidence={"refused": exc.code, "message": exc.message})
            raise
        except RunnerError as exc:
            if exc.context.get(NOT_CLICKED):
                # The page failed before the click that has the effect (its form never sent).
                self.ledger.abandon(spec.name, order_key, run_id=attempt.run_id,
                                    evidence={"not_clicked": exc.code, "message": exc.message})
                raise
            # Console or drift error mid-action: unknown whether it clicked. Leave "attempting";
            # a resume reads the console before anything else.
            raise
        outputs = {ALREADY_DONE: False, **as_dict(result)}  # the page may have said so
        confirmed = self.ledger.confirm(spec.name, order_key,
                                        {"outputs": outputs, "source": "page_confirmation"})
        return self._recorded(confirmed, attempt.run_id)

    @staticmethod
    def _outputs_from_probe(spec: ActionSpec, shown: dict[str, Any]) -> dict[str, Any]:
        """The action's outputs, filled from what the console showed (same field names)."""
        return {name: shown.get(name) for name in spec.outputs}


def _previous(entry: LedgerEntry) -> dict[str, Any]:
    """What the ledger knew of an attempt another one replaces."""
    return {"run_id": entry.run_id, "ticket": entry.ticket,
            "attempted_at": entry.attempted_at.isoformat(), **entry.evidence}


def _same_attempt(latest: LedgerEntry | None, read: LedgerEntry) -> bool:
    """Whether the ledger row is still the attempt read before (same run, status, moment)."""
    return latest is not None and (latest.run_id, latest.status, latest.attempted_at) == (
        read.run_id, read.status, read.attempted_at)
