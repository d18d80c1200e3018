"""Every sentence a caller reads, in one place: next actions for the agent, messages for the
customer.

Two audiences, two rules. ``summary`` (in ``next_action``) and ``error.message`` are for the
support agent and may name steps, runs and codes. ``customer_message`` is pasted to the customer
as it is, on every status: it names the domain, dates and order numbers the customer knows, and
never a step, a run id, an error code or a traceback.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from runner.engine.next_action import (
    Command,
    ConfirmSideEffect,
    NextAction,
    OfferCancelOnly,
    OtherInputs,
    ProvideInput,
    RetryLater,
    Verb,
    Wait,
    WouldAsk,
    WouldDo,
)
from runner.engine.window import long_date
from runner.error_codes import ErrorCode, Kind, NextType
from runner.errors import RunnerError

CANCEL_ONLY_FLOW = "cancel_only"
CONFIRM_PREFIX = "confirm_"


def _certificate(domain: str | None) -> str:
    return f"your certificate for {domain}" if domain else "your certificate"


# next actions (for the support agent)

def offer_cancel_only(ticket: str, domain: str | None) -> OfferCancelOnly:
    return OfferCancelOnly(
        type=NextType.OFFER_CANCEL_ONLY, flow=CANCEL_ONLY_FLOW,
        summary="tell the customer the refund policy (customer_message) and offer cancellation "
                "without a refund",
        command=Command(Verb.RUN, flow=CANCEL_ONLY_FLOW, ticket=ticket,
                        domain=domain or "<DOMAIN>"))


def provide_input(run_id: str, name: str, prompt: str, artifact: str | None, *,
                  expires_at: datetime | None = None, previous: str | None = None,
                  tries_left: int | None = None) -> ProvideInput:
    before = f"the answer to the previous image was {previous}; " if previous else ""
    after = "".join([f" (image: {artifact})" if artifact else "",
                     f"; answer before {expires_at.isoformat()}" if expires_at else "",
                     f"; {tries_left} wrong answer(s) left before a person must check the order"
                     if tries_left is not None else ""])
    return ProvideInput(
        type=NextType.PROVIDE_INPUT, input=name, prompt=prompt, artifact=artifact,
        expires_at=expires_at.isoformat() if expires_at else None, previous_answer=previous,
        tries_left=tries_left, summary=before + prompt + after,
        command=Command(Verb.RESUME, run_id=run_id, inputs={name: "<VALUE>"}))


def retry_later(run_id: str, retry_after: datetime, failures: int, attempts: int) -> RetryLater:
    return RetryLater(
        type=NextType.RETRY_LATER, retry_after=retry_after.isoformat(), failures=failures,
        attempts=attempts,
        summary=f"a console is down or slow (failure {failures} of {attempts} allowed in a "
                f"row): `certrunner resume --due` (cron) tries again after "
                f"{retry_after.isoformat()}; the command tries now",
        command=Command(Verb.RESUME, run_id=run_id))


def console_down(run_id: str, error: RunnerError, failures: int) -> RetryLater:
    """The alert after the last automatic retry: for the maintainers, with what failed."""
    where = error.context.get("page") or error.context.get("url") or "a console"
    return RetryLater(
        type=NextType.ALERT_CONSOLE_DOWN, retry_after=None, failures=failures,
        attempts=failures,
        summary=f"ALERT: {where} failed {failures} times in a row ({error.code}: "
                f"{error.message}); automatic retries have stopped. Tell the maintainers; "
                "once the console works again, resume this run",
        command=Command(Verb.RESUME, run_id=run_id))


def check_order(run_id: str, name: str, rejected: int) -> NextAction:
    return NextAction(
        type=NextType.CHECK_ORDER,
        summary=f"the console rejected {rejected} answers for {name}: a person checks the order "
                "(does GeoTrust know this domain and admin email? is the image readable?), then "
                "resumes this run, which reads a new image and asks again",
        command=Command(Verb.RESUME, run_id=run_id))


def wait(run_id: str, waiting_for: str, next_check: datetime, deadline: datetime) -> Wait:
    return Wait(
        type=NextType.WAIT, waiting_for=waiting_for, next_check_at=next_check.isoformat(),
        deadline=deadline.isoformat(),
        summary=f"waiting for {waiting_for}; next check {next_check.isoformat()}, deadline "
                f"{deadline.isoformat()}. `certrunner resume --due` (cron) checks it when due; "
                "the command checks now",
        command=Command(Verb.RESUME, run_id=run_id))


def wait_for_other_run(run_id: str, other_run: str, other_ticket: str, action: str,
                       order: str, next_check: datetime) -> Wait:
    """Another ticket's run is doing this side effect on this order right now."""
    return Wait(
        type=NextType.WAIT, other_run=other_run, next_check_at=next_check.isoformat(),
        waiting_for=f"run {other_run} (ticket {other_ticket}) to finish {action} on {order}",
        deadline=next_check.isoformat(),
        summary=f"run {other_run} (ticket {other_ticket}) is doing {action} on {order} right "
                "now, and it is done once per order: resume this run after "
                f"{next_check.isoformat()} (`certrunner resume --due` does) to read its result",
        command=Command(Verb.RESUME, run_id=run_id))


def wait_to_settle(run_id: str, attempt_run: str, attempt_ticket: str, action: str,
                   order: str, settles_at: datetime) -> Wait:
    """An interrupted attempt the console does not show, too recent to be sure: no person is
    needed, the run looks again once any answer to it would have come."""
    whose = "this run" if attempt_run == run_id else f"run {attempt_run} (ticket {attempt_ticket})"
    return Wait(
        type=NextType.WAIT, other_run=attempt_run, next_check_at=settles_at.isoformat(),
        deadline=settles_at.isoformat(),
        waiting_for=f"the interrupted attempt of {action} on {order} by {whose} to settle",
        summary=f"an attempt of {action} on {order} by {whose} was interrupted moments ago and "
                "the console does not show its effect yet: resume this run after "
                f"{settles_at.isoformat()} (`certrunner resume --due` does); if the console "
                "still shows nothing, it is made again, with no question to anyone",
        command=Command(Verb.RESUME, run_id=run_id))


def confirm_side_effect(run_id: str, step_id: str, action: str, order: str, attempted_at: str,
                        console_showed: dict[str, Any] | None, retry: str,
                        done: str, attempted_by: str = "") -> ConfirmSideEffect:
    name = f"{CONFIRM_PREFIX}{step_id}"
    by = f", {attempted_by}" if attempted_by else ""
    return ConfirmSideEffect(
        type=NextType.CONFIRM_SIDE_EFFECT, input=name, action=action, order=order,
        attempted_at=attempted_at, console_showed=console_showed,
        summary=f"an earlier attempt of {action} on {order} (at {attempted_at}{by}) was "
                "interrupted and the console does not show its effect: check the console, then "
                f"resume with {name}={retry} (it did not happen, try again) or {name}={done} "
                "(it happened)",
        command=Command(Verb.RESUME, run_id=run_id, inputs={name: f"<{retry}|{done}>"}))


def review_order(error: RunnerError) -> NextAction:
    """A flow's own stop on an order that failed a check: a person looks before anyone tells
    the customer more; the run itself does not go on (nothing was changed)."""
    return NextAction(
        type=NextType.REVIEW_ORDER,
        summary=f"{error.code.meaning}: a person checks the order on the consoles (error.message "
                "has what was found) and answers the customer; this run stops here and "
                "changed nothing",
        command=None)


_FAILURE_SUMMARY = {
    Kind.CONSOLE: "a console is down or slow: resume this run later",
    Kind.DRIFT: "a vendor page changed (or the runner failed): run verify-selectors and tell "
                "the maintainers; resume once the page objects are fixed",
    Kind.BUSINESS: "tell the customer (customer_message; detail in error.message); the run "
                   "stops here",
    Kind.INPUT: "fix the ticket's data, then resume this run with the corrected input "
                "(e.g. --input domain=...)",
}


# Input failures a corrected domain fixes; any other input failure is not the ticket's domain.
_DOMAIN_CODES = (ErrorCode.DOMAIN_NOT_FOUND, ErrorCode.DOMAIN_AMBIGUOUS,
                 ErrorCode.GEOTRUST_NO_MATCH, ErrorCode.DOMAIN_INVALID)
_CONFIGURATION_SUMMARY = ("the runner's configuration or environment is wrong (error.message "
                          "names what), not the ticket: fix it, then resume this run")


def failure(run_id: str, error: RunnerError) -> NextAction:
    """What to do about a failed run: always the type the error code's catalogue entry names
    (runner.error_codes), so kind, next action and exit code cannot disagree. A type that
    does not let the run go on has no command."""
    kind = error.code.next_type
    if kind is NextType.CHECK_ORDER:
        return check_order(run_id, str(error.context.get("input", "the answer")),
                           int(error.context.get("rejected", 0)))
    if kind is NextType.REVIEW_ORDER:
        return review_order(error)
    if kind is NextType.FIX_CONFIGURATION:
        return NextAction(type=kind, summary=_CONFIGURATION_SUMMARY,
                          command=Command(Verb.RESUME, run_id=run_id))
    if not kind.goes_on:
        return NextAction(type=kind, summary=_FAILURE_SUMMARY[error.kind], command=None)
    if error.kind is Kind.INPUT and error.code not in _DOMAIN_CODES:
        return NextAction(type=kind,
                          summary=f"{error.code.meaning}: see error.message for what to fix, "
                                  "then resume this run",
                          command=Command(Verb.RESUME, run_id=run_id))
    inputs = {"domain": "<CORRECTED_DOMAIN>"} if error.kind is Kind.INPUT else {}
    return NextAction(type=kind, summary=_FAILURE_SUMMARY[error.kind],
                      command=Command(Verb.RESUME, run_id=run_id, inputs=inputs))


def other_process(run_id: str) -> NextAction:
    return NextAction(
        type=NextType.WAIT_FOR_OTHER_PROCESS,
        summary="another process is working on this run right now (or died mid-step); ask for "
                "its status again in a minute, or resume it",
        command=Command(Verb.STATUS, run_id=run_id))


def queued(run_id: str, since: datetime, now: datetime) -> NextAction:
    """A run handed to the workers that none has taken yet: say for how long, so a queue that
    nobody consumes does not look like a busy one."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    waited = "less than a minute" if minutes == 0 else f"{minutes} minute(s)"
    return NextAction(
        type=NextType.WAIT_FOR_OTHER_PROCESS,
        summary=f"queued, waiting for a worker: queued {waited} ago (at {since.isoformat()}), "
                "no worker has taken it yet; a running `certrunner worker` picks it up, and "
                "the sweep (`certrunner beat`) sends it again if the broker lost it (check the "
                "workers if this grows)",
        command=Command(Verb.STATUS, run_id=run_id))


def broker_down(run_id: str, sweep_every: timedelta) -> NextAction:
    """Enqueued while the broker could not be reached: the run is kept, and sent later."""
    return NextAction(
        type=NextType.WAIT_FOR_OTHER_PROCESS,
        summary="queued, waiting for a worker: the broker could not be reached, so no task was "
                "sent yet; the run is kept in the store and the sweep (`certrunner beat`) sends "
                "it at its first round once the broker is back (a round every "
                f"{int(sweep_every.total_seconds())} s); nothing to do but check the broker",
        command=Command(Verb.STATUS, run_id=run_id))


def other_inputs(ticket: str, run_id: str, flow: str, inputs: dict[str, Any],
                 previous: NextAction | None, given: dict[str, Any] | None = None
                 ) -> OtherInputs:
    """Names what the run has and what this trigger gave (``given``: the inputs that differ)."""
    differs = given or {}
    had = ", ".join(f"{k}={inputs.get(k)}" for k in differs) or str(inputs)
    asked = ", ".join(f"{k}={v}" for k, v in differs.items())
    return OtherInputs(
        type=NextType.EXISTING_RUN_OTHER_INPUTS, previous=previous,
        summary=f"ticket {ticket} already has run {run_id} of {flow} for {had}"
                + (f", not {asked}" if asked else "") + "; nothing was started. One run per "
                "ticket: to correct a failed run's input, resume it with --input; for another "
                "order, use another ticket")


def would_do(step_id: str, action: str, args: dict[str, Any]) -> WouldDo:
    return WouldDo(type=NextType.WOULD_DO, step=step_id, action=action, with_=args,
                   summary=f"dry run stopped before step {step_id}: would run {action} with "
                           f"{args}")


def would_ask(step_id: str, name: str, prompt: str) -> WouldAsk:
    return WouldAsk(type=NextType.WOULD_ASK, step=step_id, input=name,
                    summary=f"dry run stopped before step {step_id}: would ask for {name}: "
                            f"{prompt}")


# customer messages
#
# Each says only what is certain when it is shown: what happened, what did not, and what the
# customer may do. A sentence that promises something of "our team" appears only where the
# run's next action is a person's task (``NextType.person_task``: the run waits in the people's
# inbox); none says anyone "has been told": nothing here knows that a notification went out.
# tests/unit/test_customer_texts.py holds every outcome's text to these rules.


def customer_finished(domain: str | None) -> str:
    """For a flow that ended without a message of its own."""
    return f"Your request about {_certificate(domain)} is complete."


def customer_dry_run(domain: str | None) -> str:
    return f"We have checked {_certificate(domain)}; nothing has been changed."


def customer_in_progress(domain: str | None) -> str:
    """A run being worked on, or paused for a person of our team (the captcha, a check)."""
    return (f"We are working on your request about {_certificate(domain)}; "
            "you do not need to do anything right now.")


def customer_abandoned(domain: str | None) -> str:
    """A run a support agent gave up for good (the customer withdrew, or a duplicate): it
    promises nothing, whatever the customer was told before."""
    return (f"We have closed your request about {_certificate(domain)}; nothing more will be "
            "done on it. Reply to this ticket if you still need help.")


def customer_waiting(domain: str | None, deadline: datetime) -> str:
    """A wait step without a message of its own."""
    return (f"Your request about {_certificate(domain)} is waiting for its next step, which is "
            f"checked again from time to time until {long_date(deadline)}.")


_CUSTOMER_BY_CODE = {
    ErrorCode.DOMAIN_NOT_FOUND: "We could not find an order for {domain}, so nothing has been "
                                "changed. Please check the domain name exactly as it was "
                                "ordered and reply with it.",
    ErrorCode.DOMAIN_AMBIGUOUS: "We found more than one order for {domain}, so nothing has been "
                                "changed. Please reply with the order number you mean.",
    ErrorCode.REFUND_NOT_ALLOWED: "We cannot refund the order for {domain} in its current "
                                  "state. Please reply to this ticket if you think this is "
                                  "wrong.",
    ErrorCode.CUSTOMER_DID_NOT_CANCEL: "We did not see {certificate} cancelled in your GeoTrust "
                                       "user portal by {deadline}, so we have stopped waiting "
                                       "and no refund has been made. If you still want to "
                                       "cancel it, please reply to this ticket.",
    ErrorCode.ANSWER_TRIES_EXHAUSTED: "We need to check a detail of {certificate} with the "
                                      "certificate provider before we can go on; a member of "
                                      "our team will look into it. You do not need to do "
                                      "anything right now.",
    ErrorCode.WAIT_DEADLINE_PASSED: "What we were waiting for on your request about "
                                    "{certificate} did not happen by {deadline}, so we have "
                                    "stopped waiting. Reply to this ticket if you still need "
                                    "this done.",
}
# Console failures a command meets before (or instead of) working on the run: nothing is
# scheduled for them, so the console kind's "another attempt is scheduled" would not be true.
_NOT_NOW = ("We could not get on with your request about {certificate} just now. You do not "
            "need to do anything right now.")
_CUSTOMER_BY_CODE.update({code: _NOT_NOW for code in (
    ErrorCode.SERVICE_STOPPING, ErrorCode.STORE_LOCKED, ErrorCode.RUN_IN_PROGRESS,
    ErrorCode.LEASE_LOST)})
# After the last automatic retry (alert_console_down, a person's task): nobody tries again
# until a person resumes the run.
CUSTOMER_CONSOLE_DOWN = ("The certificate provider's systems have not responded to repeated "
                         "attempts, so your request is on hold until a member of our team "
                         "picks it up again. You do not need to do anything right now.")
_CUSTOMER_BY_KIND = {
    Kind.CONSOLE: "The certificate provider's systems are not responding right now; another "
                  "attempt is scheduled. You do not need to do anything right now.",
    Kind.DRIFT: "We ran into a technical problem while handling your request about "
                "{certificate}, so it is on hold at that point. You do not need to do anything "
                "right now.",
    Kind.INPUT: "Some details of your request about {certificate} must be corrected on our "
                "side before we can go on. You do not need to do anything right now.",
    Kind.BUSINESS: "We cannot complete your request about {certificate}. Please reply to this "
                   "ticket if you have questions.",
}


def customer_failure(error: RunnerError, domain: str | None) -> str:
    """What to tell the customer about a failure: no codes, steps or internal detail.

    A flow's own stop (a failed ``end``) brings its text in ``context["customer_message"]``.
    """
    own = error.context.get("customer_message")
    if isinstance(own, str) and own:
        return own
    template = _CUSTOMER_BY_CODE.get(error.code, _CUSTOMER_BY_KIND[error.kind])
    deadline = error.context.get("deadline")
    when = long_date(datetime.fromisoformat(deadline)) if isinstance(deadline, str) else "now"
    text = template.format(domain=domain or "your domain", certificate=_certificate(domain),
                           deadline=when)
    return text[0].upper() + text[1:]
