"""Every error code the runner can answer, declared once: code, kind, exit code, next action.

Callers (agents, cron, support people) branch on ``error.code`` and ``next_action.type``, so the
codes are a contract: a code raised anywhere must be declared here (``RunnerError`` refuses an
undeclared one at construction, and a unit test scans the source), flows' ``on_error`` keys are
checked against the codes an action declares, and ``docs/errors.md`` lists this table.

The kind says what the caller does about a failure, and fixes the exit code and the next action.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Kind(enum.StrEnum):
    """The four things a caller can do about a failure."""

    BUSINESS = "business"  # the run cannot go on: the customer is told (after a person's check)
    CONSOLE = "console"    # a console is down or slow: retry later
    DRIFT = "drift"        # a vendor page changed (or a bug of ours): alert the maintainers
    INPUT = "input"        # something a person gave is wrong (ticket, answer, config): fix, resume


class ExitCode(enum.IntEnum):
    """The process exit codes of the CLI, computed only by ``exit_code`` below."""

    FINISHED = 0  # succeeded or denied
    FAILED = 1
    USAGE = 2     # bad usage, bad input or an invalid flow
    PAUSED = 3    # waiting or needs_input (or another process holds the run)


class Who(enum.StrEnum):
    """Who acts on a next action. ``PERSON`` is a task for someone of the team: the run belongs
    in the people's inbox (and a notification), and only then may a customer text promise that
    "our team" does something."""

    PERSON = "person"      # someone of the team: answer, confirm, check, fix, alert
    CUSTOMER = "customer"  # the customer (cancels in their portal); cron looks again
    MACHINE = "machine"    # the runner itself, through cron's `resume --due` or a live process
    SUPPORT = "support"    # the support agent sends customer_message; the run is over
    NOBODY = "nobody"      # a dry run's report: nothing to do


class NextType(enum.StrEnum):
    """``next_action.type``: what the caller does next, who does it, and whether a ``resume``
    then lets the run go on. Each is built in runner.engine.texts."""

    meaning: str
    who: Who
    goes_on: bool

    # Defaults only so that a lookup by value (``NextType("wait")``) type-checks; every member
    # below gives all four.
    def __new__(cls, value: str, who: Who = Who.NOBODY, goes_on: bool = False,
                meaning: str = "") -> NextType:
        member = str.__new__(cls, value)
        member._value_ = value
        member.who, member.goes_on, member.meaning = who, goes_on, meaning
        return member

    @property
    def person_task(self) -> bool:
        """A person of the team must act: the run waits in the people's inbox."""
        return self.who is Who.PERSON

    OFFER_CANCEL_ONLY = ("offer_cancel_only", Who.SUPPORT, False,
                         "refund refused (outside the window): tell the customer "
                         "`customer_message` and offer the cancel-only flow (`command`)")
    PROVIDE_INPUT = ("provide_input", Who.PERSON, True,
                     "a person reads the image in `artifact` and resumes with the answer")
    WAIT = ("wait", Who.CUSTOMER, True,
            "the customer must act (or an earlier attempt must settle); `resume --due` (cron) "
            "checks again at `next_check_at`")
    CONFIRM_SIDE_EFFECT = ("confirm_side_effect", Who.PERSON, True,
                           "an interrupted side effect the console cannot tell: check the "
                           "console, then resume with `retry` or `done`")
    RETRY_LATER = ("retry_later", Who.MACHINE, True,
                   "a console is down or slow: resume the run later")
    ALERT_MAINTAINERS = ("alert_maintainers", Who.PERSON, True,
                         "a vendor page changed (or a bug): tell the maintainers; resume once "
                         "fixed")
    TELL_CUSTOMER = ("tell_customer", Who.SUPPORT, False,
                     "send `customer_message`; retrying will not help")
    REVIEW_ORDER = ("review_order", Who.PERSON, False,
                    "a person checks the order on the consoles and answers the customer; the "
                    "run stops here (nothing was changed on any console)")
    FIX_TICKET = ("fix_ticket", Who.PERSON, True,
                  "fix the ticket's data and resume with the corrected input")
    FIX_CONFIGURATION = ("fix_configuration", Who.PERSON, True,
                         "the runner's configuration or environment is wrong, not the ticket: "
                         "fix it (error.message names what), then resume")
    EXISTING_RUN_OTHER_INPUTS = ("existing_run_other_inputs", Who.SUPPORT, False,
                                 "the ticket already has a run with other inputs; nothing was "
                                 "started")
    WAIT_FOR_OTHER_PROCESS = ("wait_for_other_process", Who.MACHINE, True,
                              "another process holds the run: ask for its status again")
    WOULD_DO = ("would_do", Who.NOBODY, False,
                "dry run: the side effect the real run would do next")
    WOULD_ASK = ("would_ask", Who.NOBODY, False,
                 "dry run: the input the real run would ask for next")
    CHECK_ORDER = ("check_order", Who.PERSON, True,
                   "a person checks the order on the consoles (the captcha answer was "
                   "rejected too often), then resumes the run, which asks again")
    ALERT_CONSOLE_DOWN = ("alert_console_down", Who.PERSON, True,
                          "a console failed on every automatic retry: alert the maintainers "
                          "(`summary`); resume the run once it is back")


NEXT_MEANING = {t: t.meaning for t in NextType}
PERSON_TASKS = frozenset(t for t in NextType if t.person_task)  # the people's inbox
NEXT_BY_KIND = {Kind.BUSINESS: NextType.TELL_CUSTOMER, Kind.CONSOLE: NextType.RETRY_LATER,
                Kind.DRIFT: NextType.ALERT_MAINTAINERS, Kind.INPUT: NextType.FIX_TICKET}
EXIT_BY_KIND = {Kind.BUSINESS: ExitCode.FAILED, Kind.CONSOLE: ExitCode.FAILED,
                Kind.DRIFT: ExitCode.FAILED, Kind.INPUT: ExitCode.USAGE}
# The next actions a failure of each kind may have: a business failure is the end of the run
# (a next action that lets it go on would contradict "retrying will not help"), every other
# kind is resumed once someone acted. ``ErrorCode`` refuses any other pairing when it is built.
NEXT_OF_KIND = {
    Kind.BUSINESS: frozenset({NextType.TELL_CUSTOMER, NextType.REVIEW_ORDER}),
    Kind.CONSOLE: frozenset({NextType.RETRY_LATER, NextType.ALERT_CONSOLE_DOWN}),
    Kind.DRIFT: frozenset({NextType.ALERT_MAINTAINERS}),
    Kind.INPUT: frozenset({NextType.FIX_TICKET, NextType.FIX_CONFIGURATION,
                           NextType.CHECK_ORDER}),
}
FINISHED = ("succeeded", "denied", "abandoned")  # abandoned: a person closed it for good
PAUSED = ("waiting", "needs_input", "running", "queued")  # running or queued: come back later


def check_pairing(code: str, kind: Kind, next_type: NextType) -> None:
    """Refuse a code whose kind and next action disagree (see NEXT_OF_KIND)."""
    if next_type not in NEXT_OF_KIND[kind]:
        raise TypeError(f"error code {code}: a {kind} failure cannot have next action "
                        f"{next_type} (allowed: {sorted(NEXT_OF_KIND[kind])})")
    if (kind is Kind.BUSINESS) == next_type.goes_on:
        raise TypeError(f"error code {code}: next action {next_type} "
                        f"{'lets the run go on' if next_type.goes_on else 'ends the run'}, "
                        f"which a {kind} failure does {'not ' if next_type.goes_on else ''}do")


class ErrorCode(enum.StrEnum):
    """One member per code; the member is the code's string, with its kind and meaning."""

    kind: Kind
    meaning: str
    _next: NextType | None

    def __new__(cls, code: str, kind: Kind, meaning: str,
                next_type: NextType | None = None) -> ErrorCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.kind = kind
        member.meaning = meaning
        member._next = next_type  # where the kind's usual next action would mislead
        check_pairing(code, kind, next_type or NEXT_BY_KIND[kind])  # consistent by construction
        return member

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_BY_KIND[self.kind]

    @property
    def next_type(self) -> NextType:
        return self._next or NEXT_BY_KIND[self.kind]

    # the command line, config and environment
    USAGE_ERROR = "usage_error", Kind.INPUT, "the command line is wrong (see --help)"
    BAD_INPUT = "bad_input", Kind.INPUT, "a command-line value is malformed"
    EXTRA_MISSING = ("extra_missing", Kind.INPUT, "the command needs a part of certrunner that "
                     "is not installed (pip install 'certrunner[EXTRA]')",
                     NextType.FIX_CONFIGURATION)
    BAD_FILTER = "bad_filter", Kind.INPUT, "a run list filter has a value no run can have"
    CONFIG_INVALID = "config_invalid", Kind.INPUT, "the config file is malformed"
    CONFIG_NOT_FOUND = "config_not_found", Kind.INPUT, "the config file does not exist"
    CONFIG_UNREADABLE = ("config_unreadable", Kind.INPUT,
                         "the config path is a folder, a device, not UTF-8 or over 1 MB")
    CONFIG_SECRET_IN_YAML = ("config_secret_in_yaml", Kind.INPUT,
                             "the config holds a credential; credentials come from the environment")
    CONSOLE_UNKNOWN = "console_unknown", Kind.INPUT, "the config names no such console"
    CREDENTIALS_MISSING = ("credentials_missing", Kind.INPUT,
                           "a console's credentials are not in the environment",
                           NextType.FIX_CONFIGURATION)
    CREDENTIALS_REJECTED = ("credentials_rejected", Kind.INPUT,
                            "the Symantec backend refused the login: the credentials in the "
                            "environment are wrong", NextType.FIX_CONFIGURATION)
    CHROMIUM_MISSING = "chromium_missing", Kind.INPUT, "no Chromium to start"
    CLOCK_OVERRIDE_INVALID = "clock_override_invalid", Kind.INPUT, "CERTRUNNER_NOW is malformed"
    CLOCK_OVERRIDE_FORBIDDEN = ("clock_override_forbidden", Kind.INPUT,
                                "CERTRUNNER_NOW is set against a real console")
    DEMO_NEEDS_SANDBOX = "demo_needs_sandbox", Kind.INPUT, "the demo runs only on the sandbox"
    HOME_INVALID = ("home_invalid", Kind.INPUT,
                    "CERTRUNNER_HOME is relative, or there is no home folder for state")
    STATE_PATH_INVALID = ("state_path_invalid", Kind.INPUT,
                          "a state folder cannot be created (under a file, or not writable)")
    STORE_UNREACHABLE = ("store_unreachable", Kind.INPUT,
                         "the runs database path is a folder or cannot be opened")
    SANDBOX_DB_INVALID = ("sandbox_db_invalid", Kind.INPUT,
                          "the sandbox database path is a folder or unusable")
    NAIVE_DATETIME = "naive_datetime", Kind.INPUT, "a date and time has no time zone"
    BAD_DATETIME = "bad_datetime", Kind.INPUT, "a value is not an ISO 8601 date and time"
    BAD_WINDOW = "bad_window", Kind.INPUT, "the configured refund window is not positive"

    # the service (certrunner serve, certrunner mcp) and its HTTP doors
    BAD_WORKERS = "bad_workers", Kind.INPUT, "--workers is below 1"
    API_TOKEN_WEAK = "api_token_weak", Kind.INPUT, "CERTRUNNER_API_TOKEN is too short"
    API_TOKEN_REQUIRED = ("api_token_required", Kind.INPUT,
                          "the service would listen beyond loopback without CERTRUNNER_API_TOKEN")
    CHROMIUM_FAILED = ("chromium_failed", Kind.INPUT,
                       "the service's Chromium exited before it listened (the error has its "
                       "last output)")
    UNAUTHORIZED = "unauthorized", Kind.INPUT, "the request lacks the service's bearer token"
    BODY_TOO_LARGE = "body_too_large", Kind.INPUT, "the request body is over the service's limit"
    BAD_REQUEST = "bad_request", Kind.INPUT, "the request body or query is malformed"
    NOT_FOUND = "not_found", Kind.INPUT, "the service has no such path"
    METHOD_NOT_ALLOWED = "method_not_allowed", Kind.INPUT, "the path does not take that method"
    HTTP_ERROR = "http_error", Kind.INPUT, "another HTTP-level refusal (the message says which)"
    UNKNOWN_ARTIFACT = "unknown_artifact", Kind.INPUT, "the run lists no artifact of that name"
    RUN_ABANDONED = ("run_abandoned", Kind.INPUT,
                     "the run was abandoned; a new run needs a new ticket")
    SERVICE_STOPPING = ("service_stopping", Kind.CONSOLE,
                        "the service is stopping and started nothing; retry once it is back")

    # operators, their roles and the console's forms
    FORBIDDEN = ("forbidden", Kind.INPUT,
                 "the operator's role does not allow the action (the message says which role "
                 "does)")
    SIGN_IN_FAILED = ("sign_in_failed", Kind.INPUT,
                      "no operator has that name and token (or the console session expired)")
    CSRF_FAILED = ("csrf_failed", Kind.INPUT,
                   "a console form came without its CSRF token (or with another session's): "
                   "reload the page and submit it again")
    OPERATOR_EXISTS = "operator_exists", Kind.INPUT, "an operator of that name exists already"
    UNKNOWN_OPERATOR = "unknown_operator", Kind.INPUT, "no operator of that name"
    OPERATOR_NAME_INVALID = ("operator_name_invalid", Kind.INPUT,
                             "an operator's name is 1-64 letters, digits, dots, dashes or "
                             "underscores")
    LAST_ADMIN = ("last_admin", Kind.INPUT,
                  "the last admin cannot be removed (add another admin first)")
    TASK_CLAIMED = ("task_claimed", Kind.INPUT,
                    "another operator holds the person-task (the message says who and until "
                    "when)")
    NOT_A_PERSON_TASK = ("not_a_person_task", Kind.INPUT,
                         "the run waits for no person now (it moved on, or finished)")
    ANSWER_NOT_ASKED = ("answer_not_asked", Kind.INPUT,
                        "the run does not ask for that answer or confirmation now (it moved "
                        "on, or asks another question), or a confirmation is not retry or "
                        "done: nothing was recorded or changed")

    # flows, runs and their inputs
    UNKNOWN_FLOW = "unknown_flow", Kind.INPUT, "no flow of that name"
    FLOW_NOT_FOUND = "flow_not_found", Kind.INPUT, "the flow file does not exist"
    FLOW_UNREADABLE = "flow_unreadable", Kind.INPUT, "the flow file cannot be read"
    FLOW_YAML_INVALID = "flow_yaml_invalid", Kind.INPUT, "the flow file is not valid YAML"
    YAML_TOO_DEEP = "yaml_too_deep", Kind.INPUT, "a YAML file is nested thousands of levels deep"
    FLOW_INVALID = "flow_invalid", Kind.INPUT, "the flow breaks the rules (error.issues)"
    FLOW_CHANGED = ("flow_changed", Kind.INPUT,
                    "the run stopped at a step its flow no longer has")
    EXPRESSION_INVALID = "expression_invalid", Kind.INPUT, "an expression is not allowed"
    EXPRESSION_UNRESOLVED = ("expression_unresolved", Kind.INPUT,
                             "an expression names something the run does not have")
    EXPRESSION_TYPE = "expression_type", Kind.INPUT, "an expression mixes incompatible values"
    MISSING_TICKET = "missing_ticket", Kind.INPUT, "no ticket id was given"
    CONTROL_CHARACTERS = ("control_characters", Kind.INPUT,
                          "a ticket, run id, domain or input holds a control or invisible "
                          "character")
    UNKNOWN_RUN = "unknown_run", Kind.INPUT, "no run or ticket of that id"
    UNKNOWN_INPUT = "unknown_input", Kind.INPUT, "the flow declares no input of that name"
    RUN_FINISHED = "run_finished", Kind.INPUT, "a finished run cannot be abandoned"
    MISSING_REASON = "missing_reason", Kind.INPUT, "`runs abandon` needs --reason TEXT"
    SIDE_EFFECT_UNCONFIRMED = ("side_effect_unconfirmed", Kind.INPUT,
                               "the run started a side effect nobody confirmed: check the "
                               "console first (`runs abandon` names it), or --force")
    INPUT_NOT_QUEUED = ("input_not_queued", Kind.INPUT,
                        "an input a person types when asked never goes through the queue")
    MISSING_INPUT = "missing_input", Kind.INPUT, "a required input was not given"
    DOMAIN_INVALID = ("domain_invalid", Kind.INPUT,
                      "the domain is not a valid domain name (error.message says why)")

    # the ticket's data, as the consoles answer it
    DOMAIN_NOT_FOUND = ("domain_not_found", Kind.INPUT,
                        "Product Management has no order for the domain")
    DOMAIN_AMBIGUOUS = ("domain_ambiguous", Kind.INPUT,
                        "Product Management has several orders for the domain")
    CUSTOMER_NOT_FOUND = "customer_not_found", Kind.INPUT, "Product Management has no such customer"
    ORDER_NOT_FOUND = "order_not_found", Kind.INPUT, "Product Management has no such order"
    PARTNER_ORDER_NOT_FOUND = ("partner_order_not_found", Kind.INPUT,
                               "the Symantec backend has no such partner order")
    CAPTCHA_INCORRECT = "captcha_incorrect", Kind.INPUT, "GeoTrust says the image number is wrong"
    CAPTCHA_EXPIRED = "captcha_expired", Kind.INPUT, "GeoTrust says the image number has expired"
    ANSWER_MISSING = ("answer_missing", Kind.INPUT,
                      "a single-use answer (the captcha) was lost in an interruption: the run "
                      "goes back and asks again (recorded as a retry, never a failure)")
    ANSWER_EXPIRED = ("answer_expired", Kind.INPUT,
                      "the image to answer expired before an answer came: the run reads a new "
                      "one (recorded as a retry, never a failure)")
    GEOTRUST_NO_MATCH = ("geotrust_no_match", Kind.INPUT,
                         "GeoTrust finds no certificate for the domain and email")
    BROWSER_MISSING = ("browser_missing", Kind.INPUT,
                       "the run's browser context has no browser to log in with")

    # consoles down, slow or refusing: retry later
    CONSOLE_UNAVAILABLE = "console_unavailable", Kind.CONSOLE, "a console is unavailable"
    CONSOLE_TIMEOUT = "console_timeout", Kind.CONSOLE, "a console did not answer in time"
    CONSOLE_UNREACHABLE = "console_unreachable", Kind.CONSOLE, "a console cannot be reached"
    CONSOLE_SERVER_ERROR = ("console_server_error", Kind.CONSOLE,
                            "a console answered with a server error")
    SESSION_REJECTED = ("session_rejected", Kind.CONSOLE,
                        "the Symantec backend asked for a login again right after one")
    LOGIN_FAILED = ("login_failed", Kind.CONSOLE,
                    "the Symantec backend let a login it did not refuse lapse at once "
                    "(latency longer than its sessions)")
    CAPTCHA_UNREADABLE = "captcha_unreadable", Kind.CONSOLE, "GeoTrust served no captcha image"
    GEOTRUST_REFUSED = "geotrust_refused", Kind.CONSOLE, "GeoTrust refused for another reason"
    MAIL_NOT_DELIVERED = "mail_not_delivered", Kind.CONSOLE, "the access email did not arrive"
    REFUND_UNCONFIRMED = ("refund_unconfirmed", Kind.CONSOLE,
                          "Product Management did not confirm a refund (resume reads it again)")
    BROWSER_ERROR = "browser_error", Kind.CONSOLE, "the browser failed in a way no page explained"
    LEASE_LOST = "lease_lost", Kind.CONSOLE, "another process took the run over"
    RUN_IN_PROGRESS = ("run_in_progress", Kind.CONSOLE,
                       "a live process is working on the run: it cannot be abandoned now")
    STORE_LOCKED = ("store_locked", Kind.CONSOLE,
                    "another process kept the runs database locked past the busy timeout")
    STORE_UNAVAILABLE = ("store_unavailable", Kind.CONSOLE,
                         "the runs database did not answer (its server, or the network to it); "
                         "a drive waits for it, then goes on from its last saved step")

    # pages changed, or a bug of ours: alert the maintainers
    PAGE_DRIFT = "page_drift", Kind.DRIFT, "a page no longer matches its page object"
    LOCATOR_MISSING = "locator_missing", Kind.DRIFT, "a declared locator matched nothing"
    LOCATOR_AMBIGUOUS = "locator_ambiguous", Kind.DRIFT, "a declared locator matched several"
    INTERNAL_ERROR = "internal_error", Kind.DRIFT, "a bug in the runner (the log has the traceback)"
    SECRET_IN_STORE = "secret_in_store", Kind.DRIFT, "the store refused a secret-looking value"
    STORE_TOO_NEW = "store_too_new", Kind.INPUT, "the run store was written by a newer runner"
    STORE_CORRUPT = ("store_corrupt", Kind.DRIFT,
                     "the runs database is damaged or not a runs database; it is left untouched")
    STORE_TOO_OLD = ("store_too_old", Kind.INPUT,
                     "the run store's schema is older than any migration this runner has")
    LEDGER_MISSING = "ledger_missing", Kind.DRIFT, "a side effect was confirmed without intent"
    LEDGER_CONFIRMED = "ledger_confirmed", Kind.DRIFT, "a confirmed side effect cannot be undone"
    LEDGER_NOT_OURS = ("ledger_not_ours", Kind.DRIFT,
                       "a run tried to abandon another run's side-effect attempt")

    # policy or the console's state says no: tell the customer
    REFUND_NOT_ALLOWED = ("refund_not_allowed", Kind.BUSINESS,
                          "the console does not offer a refund for the order")
    REFUND_WITHOUT_GATE = ("refund_without_gate", Kind.BUSINESS,
                           "a refund was about to happen without an enforced refund-window gate")
    WAIT_DEADLINE_PASSED = ("wait_deadline_passed", Kind.BUSINESS,
                            "what a wait step waited for did not happen by its deadline")
    CUSTOMER_DID_NOT_CANCEL = ("customer_did_not_cancel", Kind.BUSINESS,
                               "the customer did not cancel in their portal by the deadline")
    # the procedure's step 4, checked by the cancel flows before GeoTrust (a failed end)
    # A person checks such an order before the customer hears more (the people's inbox).
    COMMON_NAME_MISMATCH = ("common_name_mismatch", Kind.BUSINESS,
                            "Symantec's common name for the order is not the ticket's domain",
                            NextType.REVIEW_ORDER)
    ADMIN_EMAIL_MISSING = ("admin_email_missing", Kind.BUSINESS,
                           "Symantec shows no admin email for the order", NextType.REVIEW_ORDER)

    # an answer a person gave, refused too often: a person checks, then the run goes on
    ANSWER_TRIES_EXHAUSTED = ("answer_tries_exhausted", Kind.INPUT,
                              "the console rejected the captcha answer too often: a person "
                              "checks the order; a resume then asks again",
                              NextType.CHECK_ORDER)


# What a page action may always run into, whatever it does: the action decorator adds these.
CONSOLE_COMMON: tuple[ErrorCode, ...] = (
    ErrorCode.CONSOLE_TIMEOUT, ErrorCode.CONSOLE_UNREACHABLE, ErrorCode.CONSOLE_SERVER_ERROR,
    ErrorCode.BROWSER_ERROR, ErrorCode.PAGE_DRIFT, ErrorCode.LOCATOR_MISSING,
    ErrorCode.LOCATOR_AMBIGUOUS,
)


BY_NAME: dict[str, ErrorCode] = {code.value: code for code in ErrorCode}


def lookup(code: str) -> ErrorCode | None:
    """The declared code of that name, or None (for codes a flow file names)."""
    return BY_NAME.get(code)


def declared(code: ErrorCode | str) -> ErrorCode:
    """``code`` as a declared ErrorCode; an undeclared one is a bug of ours, refused here."""
    found = BY_NAME.get(code)
    if found is None:
        raise ValueError(f"error code {code!r} is not declared in runner.error_codes")
    return found


def codes_of(kind: Kind) -> Iterable[ErrorCode]:
    return (code for code in ErrorCode if code.kind is kind)


def exit_code(status: str, kind: str | None = None) -> ExitCode:
    """The one place a status (and a failure's kind) becomes a process exit code."""
    if status in FINISHED:
        return ExitCode.FINISHED
    if status in PAUSED:
        return ExitCode.PAUSED
    known = {k.value: k for k in Kind}
    return EXIT_BY_KIND[known[kind]] if kind in known else ExitCode.FAILED
