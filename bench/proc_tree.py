"""A process and everything it started, read from /proc: memory and CPU for the benchmarks.

Both service benchmarks measure "the service with its browser", which is several processes: the
Python process, one Playwright driver per worker, and Chromium's own processes under it.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree(root: int) -> list[int]:
    """``root`` and all its descendants alive now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(entry.name)[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory(root: int) -> tuple[int, int]:
    """(summed RSS, summed PSS) in bytes; PSS counts pages shared between processes once."""
    rss = pss = 0
    for pid in tree(root):
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("Rss:"):
                rss += int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss += int(line.split()[1]) * 1024
    return rss, pss


def cpu_seconds(root: int) -> float:
    """User and system CPU the tree has used so far, its exited processes included.

    Wall time on a shared, overloaded machine mostly measures the others; CPU time is what a
    ticket costs whatever the load. A closed browser context's renderer is gone by the time
    we look, but its parent (Chromium's zygote) has reaped it and counts it as its children's.
    """
    total = 0
    for pid in tree(root):
        try:
            fields = _stat(pid)
        except (OSError, IndexError):
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / TICKS
