"""Side effects go through the ledger: intent is written before the click, proof after.

A refund clicked twice is the worst bug this project can have, so before every click we ask
two witnesses whether the effect already happened: our ledger (did any run of this ticket try
it?) and the console itself (does the page already show it, whoever did it?). An attempt whose
fate is unknown (the process died between click and confirmation) is never clicked again
blindly: the console is read; if it does not show the effect, a person decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from runner.actions import ALREADY_DONE, ActionSpec
from runner.engine.store import LedgerStatus, RunStore
from runner.errors import BusinessError, InputError, RunnerError
from runner.language.expressions import truthy

CONFIRM_DONE = "done"    # a person checked the console: the effect happened
CONFIRM_RETRY = "retry"  # a person checked the console: it did not happen, try again


def plain(value: Any) -> dict[str, Any]:
    """Action results are dataclasses; the run context holds plain JSON-able dicts."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"an action returned {type(value).__name__}, not a dataclass")


@dataclass
class NeedsConfirmation(Exception):
    """The ledger shows an attempt whose result the console cannot confirm: ask a person."""

    action: str
    order_key: str
    attempted_at: str
    probe: dict[str, Any] | None


class LedgerGuard:
    """Runs one side-effecting action at most once per (ticket, action, order)."""

    def __init__(self, store: RunStore, actions: Mapping[str, ActionSpec],
                 call: Callable[[ActionSpec, dict[str, Any]], Any]) -> None:
        self.store = store
        self.actions = actions
        self.call = call  # runs an action in the run's browser session (with read retries)

    def _probe(self, spec: ActionSpec, args: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        """(effect visible?, what the console showed); None when the console cannot tell."""
        if not spec.probe:
            return None, {}
        probe = self.actions[spec.probe]
        probe_args = {k: v for k, v in args.items() if k in probe.inputs + probe.optional_inputs}
        shown = plain(self.call(probe, probe_args))
        if not spec.done_if:
            return None, shown
        return bool(truthy(spec.done_if, {"probe": shown})), shown

    def run(self, spec: ActionSpec, args: dict[str, Any], *, ticket: str, run_id: str,
            order_key: str, confirmation: str | None = None) -> dict[str, Any]:
        claim = self.store.ledger_begin(ticket, spec.name, order_key, run_id)
        if not claim.created and claim.entry.status is LedgerStatus.CONFIRMED:
            return dict(claim.entry.evidence.get("outputs", {}))
        visible, shown = self._probe(spec, args)
        if claim.created:
            source = "console_before_click"  # done, but not by this ticket (another one did it)
        else:
            # An earlier attempt of ours never confirmed: it may or may not have clicked.
            source = "console_after_crash"
            if not visible and confirmation == CONFIRM_DONE:
                visible, source = True, "confirmed_by_person"
            elif not visible and confirmation != CONFIRM_RETRY:
                raise NeedsConfirmation(spec.name, order_key,
                                        claim.entry.attempted_at.isoformat(), shown or None)
        if visible:
            outputs = {**self._outputs_from_probe(spec, shown), ALREADY_DONE: claim.created}
            self.store.ledger_confirm(ticket, spec.name, order_key,
                                      {"outputs": outputs, "source": source, "console": shown})
            return outputs
        return self._click(spec, args, ticket=ticket, order_key=order_key)

    def _click(self, spec: ActionSpec, args: dict[str, Any], *, ticket: str,
               order_key: str) -> dict[str, Any]:
        try:
            result = self.call(spec, args)
        except (BusinessError, InputError) as exc:
            # The console refused before anything happened (not allowed, wrong captcha):
            # nothing was done, so a later attempt may start afresh.
            self.store.ledger_abandon(ticket, spec.name, order_key,
                                      {"refused": exc.code, "message": exc.message})
            raise
        except RunnerError:
            # Console or drift error mid-action: unknown whether it clicked. Leave "attempting";
            # a resume reads the console before anything else.
            raise
        outputs = {ALREADY_DONE: False, **plain(result)}  # the page may have said so
        self.store.ledger_confirm(ticket, spec.name, order_key,
                                  {"outputs": outputs, "source": "page_confirmation"})
        return outputs

    @staticmethod
    def _outputs_from_probe(spec: ActionSpec, shown: dict[str, Any]) -> dict[str, Any]:
        """The action's outputs, filled from what the console showed (same field names)."""
        return {name: shown.get(name) for name in spec.outputs}
