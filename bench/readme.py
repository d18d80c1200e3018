"""Benchmarks write their latest figures into bench/README.md themselves (``--write-readme``).

Each benchmark owns one block of the file, between ``<!-- figures:NAME -->`` and
``<!-- /figures:NAME -->``; the rest of the file (what it measures, how to run it) is written
by hand and left alone. The block says when and on what machine the figures were seen.
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def machine() -> str:
    """The CPU model and core count: figures from another machine are not comparable."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def write(name: str, figures: str) -> None:
    """Replace benchmark ``name``'s block with ``figures``, stamped with date and machine."""
    start, end = f"<!-- figures:{name} -->", f"<!-- /figures:{name} -->"
    text = README.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{README} has no {start} ... {end} block for this benchmark")
    stamp = (f"Latest figures, written by the benchmark on "
             f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, on {machine()}:")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    README.write_text(f"{head}{start}\n{stamp}\n\n{figures.strip()}\n{end}{tail}")
