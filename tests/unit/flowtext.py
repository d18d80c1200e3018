"""Flow files for validation tests, written as only the part a test is about.

``flow_yaml(steps)`` puts the usual header in front (``name: x``, ``inputs:`` when given,
``steps:``), so that a test types its steps and nothing else. Line 1 is ``name``; with
``inputs`` on one line the first step starts on line 4, without on line 3.
"""

from __future__ import annotations

import textwrap


def _block(text: str) -> str:
    return textwrap.indent(textwrap.dedent(text).strip("\n"), "  ")


def flow_yaml(steps: str, *, inputs: str | None = None, name: str = "x") -> str:
    """The text of a flow file with these ``steps`` (a YAML list, indented as you like).

    ``inputs`` is a flow mapping (``{domain: {required: true}}``) or a block of lines.
    """
    header = f"name: {name}\n"
    if inputs is not None:
        header += (f"inputs: {inputs.strip()}\n" if "\n" not in inputs.strip()
                   else f"inputs:\n{_block(inputs)}\n")
    return f"{header}steps:\n{_block(steps)}\n"
