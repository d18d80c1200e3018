"""Next actions as command lines: the one place a command for a shell is built.

The engine says what to run next as data (``runner.engine.next_action.Command``); here it
becomes an argv list that runs as it is, e.g. ``["certrunner", "resume", "run-abc", "--input",
"image_number=<VALUE>", "--json"]``. Each value is one element, never interpolated by a shell,
so a ticket like ``T-1; touch /tmp/x #`` stays one harmless argument. An element holding a
``<PLACEHOLDER>`` is the one the caller fills in (the captcha answer, a corrected domain);
``shlex.join`` of the list is safe to paste into a shell.
"""

from __future__ import annotations

import shlex

from runner.engine.next_action import Command, Verb

PROGRAM = "certrunner"


def command_line(command: Command) -> list[str]:
    """The argv of ``command``, with --json (agents read JSON)."""
    argv = [PROGRAM, str(command.verb)]
    if command.verb is Verb.RUN:
        argv += [command.flow or "<FLOW>", "--ticket", command.ticket or "<TICKET>",
                 "--domain", command.domain or "<DOMAIN>"]
    else:
        argv.append(command.run_id or "<RUN_ID>")
    for name, value in command.inputs.items():
        argv += ["--input", f"{name}={value}"]
    return [*argv, "--json"]


def shell_line(command: Command) -> str:
    """The same command for a person to read or paste (quoted for a POSIX shell)."""
    return shlex.join(command_line(command))
