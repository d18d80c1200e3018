"""An executor over stand-in actions and the real store, with no browser: what the executor-level
unit tests (the loop, recovery, ``unless_done``) each build the same way."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from runner.actions import ActionSpec
from runner.clock import Clock
from runner.config import load_config
from runner.engine.executor import Executor
from runner.language.model import Flow
from runner.language.validate import validate_text
from runner.store.runs import RunStore


class Session:
    """What the executor asks of a run's browser session, minus the browser."""

    def save_cookies(self, path: Path) -> None: ...
    def close(self) -> None: ...
    def failure_evidence(self, run_dir: Path, step_id: str,
                         answers: Iterable[str] = ()) -> list[str]:
        return []


def stand_in_executor(tmp_path: Path, clock: Clock, actions: dict[str, ActionSpec],
                      flow_text: str, **config: Any) -> tuple[Flow, RunStore, Executor]:
    """The flow validated against ``actions``, a store in ``tmp_path`` and an executor whose
    sessions are ``Session``; ``config`` replaces settings of the shipped default. The caller
    closes the store."""
    settings = dataclasses.replace(load_config(), artifacts=tmp_path / "artifacts", **config)
    flow = validate_text(textwrap.dedent(flow_text), "flow.yaml", actions)
    store = RunStore(tmp_path / "runs.db", clock=clock)
    executor = Executor(settings, store, clock, lambda run_dir, cookies: Session(), actions)
    return flow, store, executor
