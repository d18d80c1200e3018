"""The error catalogue as a page for people: docs/errors.md, generated, never written by hand.

The catalogue (``runner.error_codes``) is what the runner decides with; this only renders it,
so that the page and the code cannot disagree (a unit test compares them).
"""

from __future__ import annotations

from runner.error_codes import ErrorCode, NextType


def document() -> str:
    """docs/errors.md, generated from the catalogue (``python -m runner.error_docs``)."""
    lines = [
        "# Error codes and next actions", "",
        "Generated from `runner/error_codes.py` by `python -m runner.error_docs > "
        "docs/errors.md`; a unit test keeps the two equal.", "",
        "A failed result carries `error` (`kind`, `code`, `message`, `step`); the kind fixes "
        "the exit code and `next_action.type`. `error.message` is for the support agent; "
        "`customer_message` can be pasted to the customer.", "",
        "`next_action.command` is an argv list that runs as it is (`certrunner ... --json`), "
        "or null. An element holding `<...>` (such as `image_number=<VALUE>` or "
        "`domain=<CORRECTED_DOMAIN>`) is a placeholder the caller fills in before running it; "
        "values are never interpolated by a shell.", "",
        "## next_action.type", "",
        "`who` acts: a `person` of the team (the run waits in the people's inbox), the "
        "`customer`, the runner itself (`machine`: cron's `resume --due`), `support` (send "
        "`customer_message`; the run is over) or `nobody` (a dry run). `goes on`: whether a "
        "`resume` after that lets the run continue; a `business` failure never does.", "",
        "| type | who | goes on | what the caller does |", "|---|---|---|---|",
        *(f"| `{t}` | {t.who} | {'yes' if t.goes_on else 'no'} | {t.meaning} |"
          for t in NextType), "",
        "## error.code", "",
        "| code | kind | exit | next_action.type | meaning |", "|---|---|---|---|---|",
        *(f"| `{c}` | {c.kind} | {int(c.exit_code)} | `{c.next_type}` | {c.meaning} |"
          for c in ErrorCode), "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(document(), end="")
