"""One error family for the whole runner.

Every error a user can cause carries a stable ``code`` declared in ``runner.error_codes``; the
code fixes its ``kind``, so an agent reading the JSON output knows whether to tell the customer
(``business``), retry later (``console``), alert the maintainers (``drift``) or fix the ticket
(``input``). Context (ticket, step, page, URL) is attached where it is known and re-raised, never
swallowed. Each subclass below stands for one kind, so ``except ConsoleError`` means "retry".
"""

from __future__ import annotations

from typing import Any, ClassVar

from runner.error_codes import ErrorCode, Kind, declared

__all__ = ["BusinessError", "ConfigError", "ConsoleError", "DriftError", "ErrorCode",
           "InputError", "Kind", "RunnerError"]


class RunnerError(Exception):
    """Base of every runner error; ``code`` is a declared ErrorCode, ``kind`` comes with it."""

    expected_kind: ClassVar[Kind | None] = None  # a subclass's kind; None: any

    def __init__(self, message: str, code: ErrorCode | str,
                 context: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = declared(code)  # an undeclared code is refused here, at construction
        if self.expected_kind is not None and self.code.kind is not self.expected_kind:
            raise ValueError(f"{type(self).__name__} cannot carry {self.code} "
                             f"(a {self.code.kind} code)")
        self.context: dict[str, Any] = dict(context or {})
        # The run this error refused a request on and left as it was: a door answers with that
        # run as it stands (its status and customer message still true), not as failed.
        self.refused_run: str | None = None

    @property
    def kind(self) -> Kind:
        return self.code.kind

    def with_context(self, **more: Any) -> RunnerError:
        """Add what the caller knows (ticket, step, page, url) without losing what is there."""
        for key, value in more.items():
            if value is not None:
                self.context.setdefault(key, value)
        return self

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.context.items())
        return f"{self.message} [{where}]" if where else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={str(self.code)!r})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": str(self.code), "kind": str(self.kind),
                               "message": str(self)}
        where = ("ticket", "step", "page", "locator", "url")
        out.update({k: v for k, v in self.context.items() if k in where})
        return out


class _OfOneKind(RunnerError):
    """An error of one kind: ``code`` defaults to the kind's general code (``default_code``,
    whose kind is the class's), and the context comes as keywords."""

    default_code: ClassVar[ErrorCode]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.expected_kind = cls.default_code.kind

    def __init__(self, message: str, code: ErrorCode | None = None, **context: Any) -> None:
        super().__init__(message, code or self.default_code, context)


class ConfigError(_OfOneKind):
    """The config file is missing, malformed or names something unknown."""

    default_code = ErrorCode.CONFIG_INVALID


class ConsoleError(_OfOneKind):
    """A vendor console is down, slow or answered with a server error: retry later."""

    default_code = ErrorCode.CONSOLE_UNAVAILABLE


class DriftError(_OfOneKind):
    """A page no longer matches its page object: a locator is missing or ambiguous."""

    default_code = ErrorCode.PAGE_DRIFT


class BusinessError(RunnerError):
    """Policy or the console's state says no; retrying will not help."""

    expected_kind = Kind.BUSINESS

    def __init__(self, message: str, code: ErrorCode, **context: Any) -> None:
        super().__init__(message, code, context)


class InputError(_OfOneKind):
    """The ticket's data is wrong or incomplete (unknown domain, missing input)."""

    default_code = ErrorCode.BAD_INPUT
