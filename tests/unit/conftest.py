"""Shared fixtures for the browser-free unit tests: a fake action catalog and flow files."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.actions import ActionSpec, Actor, Effect
from runner.error_codes import ErrorCode
from runner.language.model import Flow
from runner.language.validate import FlowInvalid, load_flow
from runner.language.yaml_lines import Issue


def _spec(name: str, effect: Effect = Effect.READ, inputs: tuple[str, ...] = (),
          optional: tuple[str, ...] = (), outputs: tuple[str, ...] = (),
          moves_money: bool = False, raises: tuple[ErrorCode, ...] = (),
          actor: Actor = Actor.SUPPORT) -> ActionSpec:
    probe = "pm.find_order" if effect is Effect.SIDE_EFFECT else None
    return ActionSpec(name, effect, lambda ctx, **kw: None, inputs, optional, outputs, "", probe,
                      moves_money=moves_money, raises=frozenset(raises), actor=actor)


@pytest.fixture
def actions() -> dict[str, ActionSpec]:
    """Stand-ins for the registered page-object actions: names, effects, inputs and outputs."""
    specs = [
        _spec("pm.find_order", inputs=("domain",),
              outputs=("order_id", "partner_order_id", "purchased_at", "state")),
        _spec("geotrust.read_captcha", inputs=("domain", "email"), optional=("timeout",),
              outputs=("image_path",)),
        _spec("geotrust.request_access", Effect.SIDE_EFFECT,
              inputs=("domain", "email", "image_number"), outputs=("confirmation",),
              raises=(ErrorCode.CAPTCHA_INCORRECT, ErrorCode.CAPTCHA_EXPIRED)),
        _spec("pm.refund", Effect.SIDE_EFFECT, inputs=("order_id",), outputs=("ref",),
              moves_money=True),
        _spec("pm.note", inputs=("text",)),  # declares no outputs: any field may be read
        _spec("portal.cancel_certificate", Effect.SIDE_EFFECT, inputs=("link",),
              actor=Actor.CUSTOMER),
    ]
    return {spec.name: spec for spec in specs}


FlowWriter = Callable[[str], Path]


@pytest.fixture
def write_flow(tmp_path: Path) -> FlowWriter:
    """Write dedented YAML to a file; line 1 is the first line after the opening quotes."""

    def write(text: str) -> Path:
        path = tmp_path / "flow.yaml"
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


@pytest.fixture
def flow_issues(write_flow: FlowWriter,
                actions: dict[str, ActionSpec]) -> Callable[[str], list[Issue]]:
    """Every issue validation finds in a flow that must be invalid."""

    def issues(text: str) -> list[Issue]:
        with pytest.raises(FlowInvalid) as caught:
            load_flow(write_flow(text), actions)
        assert caught.value.code == "flow_invalid"
        assert caught.value.kind == "input"
        return caught.value.issues

    return issues


@pytest.fixture
def valid_flow(write_flow: FlowWriter, actions: dict[str, ActionSpec]) -> Callable[[str], Flow]:
    def load(text: str) -> Flow:
        return load_flow(write_flow(text), actions)

    return load


SHIPPED = Path(__file__).resolve().parents[2] / "flows"


@pytest.fixture
def cancel_refund() -> Flow:
    """The shipped cancel-and-refund flow, checked against the registered actions: validation
    tests read the real procedure, not a copy that could drift from it."""
    return load_flow(SHIPPED / "cancel_refund.yaml")
