"""Parts, branches and named outcomes: checked as if inlined, the money rules on every path.

Each broken flow here is broken on purpose, and the test pins the file and line the author is
sent to: the part's own line and, beside it, the step that used the part.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.language.model import ActionStep, EndStep
from runner.language.tree import tree_lines
from runner.language.validate import load_flow, validate_text
from runner.language.yaml_lines import Issue

PartWriter = Callable[[str, str], Path]
SHIPPED = Path(__file__).resolve().parents[2] / "flows"


@pytest.fixture
def write_part(tmp_path: Path) -> PartWriter:
    """Write parts/NAME.yaml beside the test's flow.yaml (line 1 is the first line given)."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / "parts" / f"{name}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


ORDER_PART = """
    part: order
    inputs:
      domain: {required: true, description: the domain}
    steps:
      - id: order
        action: pm.find_order
        with: {domain: "${inputs.domain}"}
    """


def only(issues: list[Issue]) -> Issue:
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def test_a_part_is_inlined_with_its_ids_inputs_and_parameters(valid_flow, write_part):
    write_part("order", ORDER_PART)
    write_part("note", """
        part: note
        params:
          text: {description: what to note}
          tail: {default: "."}
        steps:
          - id: noted
            action: pm.note
            with: {text: "${params.text} for ${inputs.domain}${params.tail}"}
        """)
    flow = valid_flow("""
        name: x
        steps:
          - use: order
          - use: note
            with: {text: "order ${order.order_id}"}
          - id: done
            end: ok
        """)
    assert [s.id for s in flow.steps] == ["order", "noted", "done"]
    assert list(flow.inputs) == ["domain"] and flow.required_inputs() == ["domain"]
    noted = flow.step("noted")
    assert isinstance(noted, ActionStep)
    assert noted.with_ == {"text": "order ${order.order_id} for ${inputs.domain}."}
    assert noted.file is not None and noted.file.endswith("parts/note.yaml") and noted.line == 6


def test_an_error_inside_a_part_names_the_part_line_and_the_using_step(flow_issues, write_part):
    part = write_part("order", """
        part: order
        steps:
          - id: order
            action: pm.find_ordr
            with: {domain: d}
        """)
    issue = only(flow_issues("""
        name: x
        steps:
          - use: order
          - id: done
            end: ok
        """))
    assert (issue.file, issue.line, issue.field) == (str(part), 4, "steps[0].action")
    assert issue.via == f"used at {part.parent.parent / 'flow.yaml'}:3"
    assert str(issue).startswith(f"{part}:4: steps[0].action: unknown action 'pm.find_ordr'")
    assert str(issue).endswith(f"(used at {part.parent.parent / 'flow.yaml'}:3)")


def test_unknown_part_missing_and_unknown_parameters(flow_issues, write_part):
    write_part("order", ORDER_PART)
    write_part("note", """
        part: note
        params:
          text: {description: what to note}
        steps:
          - id: noted
            action: pm.note
            with: {text: "${params.text}${params.txet}"}
        """)
    issues = flow_issues("""
        name: x
        steps:
          - use: ordr
          - use: note
            with: {tetx: hello}
          - id: done
            end: ok
        """)
    messages = sorted(i.message for i in issues)
    assert any("unknown part 'ordr' (did you mean 'order'?)" in m for m in messages)
    assert any("unknown parameter 'tetx' for part note (did you mean 'text'?)" in m
               for m in messages)
    assert any("missing parameter 'text' for part note (what to note)" in m for m in messages)
    assert any("unknown parameter 'params.txet' (did you mean 'text'?)" in m for m in messages)


def test_a_part_that_uses_itself_is_refused(flow_issues, write_part):
    write_part("a", "part: a\nsteps:\n  - use: b\n")
    write_part("b", "part: b\nsteps:\n  - use: a\n")
    issue = next(i for i in flow_issues("name: x\nsteps:\n  - use: a\n  - id: done\n    end: ok\n")
                 if "uses itself" in i.message)
    assert "a -> b -> a" in issue.message


def test_a_part_used_twice_repeats_its_ids(flow_issues, write_part):
    part = write_part("order", ORDER_PART)
    issue = only(flow_issues("""
        name: x
        steps:
          - use: order
          - use: order
          - id: done
            end: ok
        """))
    assert (issue.file, issue.field) == (str(part), "steps[0].id")
    assert "duplicate step id 'order' (first on line 5)" in issue.message
    assert issue.via.endswith("flow.yaml:4")


# the money rules through branches and parts


def test_a_branch_that_refunds_before_the_gate_is_refused(flow_issues, write_part):
    write_part("order", ORDER_PART)
    issue = only(flow_issues("""
        name: x
        steps:
          - use: order
          - if: "order.state == 'pending_setup'"
            then:
              - id: refund_now
                action: pm.refund
                with: {order_id: "${order.order_id}"}
                key: "${order.order_id}"
              - id: refunded_now
                end: refunded
          - id: window
            gate: refund_window
            purchased_at: "${order.purchased_at}"
          - id: done
            end: ok
        """))
    assert (Path(issue.file).name, issue.line, issue.field) == (
        "flow.yaml", 7, "steps[1].then[0].action")
    assert "comes before the refund_window gate (steps[2], line 12)" in issue.message


def test_a_refund_inside_a_part_used_before_the_gate_names_both_places(flow_issues, write_part):
    write_part("order", ORDER_PART)
    part = write_part("refund", """
        part: refund
        steps:
          - id: refund
            action: pm.refund
            with: {order_id: "${order.order_id}"}
            key: "${order.order_id}"
        """)
    issue = only(flow_issues("""
        name: x
        steps:
          - use: order
          - if: "order.state == 'cancelled'"
            then:
              - use: refund
          - id: window
            gate: refund_window
            purchased_at: "${order.purchased_at}"
          - id: done
            end: ok
        """))
    assert (issue.file, issue.line, issue.field) == (str(part), 4, "steps[0].action")
    assert issue.via.endswith("flow.yaml:6")
    assert "comes before the refund_window gate" in issue.message
    assert "flow.yaml:7" in issue.message  # the gate, in the other file


def test_the_gate_cannot_stand_in_a_branch(flow_issues, write_part):
    write_part("order", ORDER_PART)
    issues = flow_issues("""
        name: x
        steps:
          - use: order
          - if: "order.state == 'issued'"
            then:
              - id: window
                gate: refund_window
                purchased_at: "${order.purchased_at}"
          - id: done
            end: ok
        """)
    issue = only(issues)
    assert (issue.line, issue.field) == (7, "steps[1].then[0].gate")
    assert "cannot be inside an if: block" in issue.message and "flow.yaml:4" in issue.message


def test_a_wait_in_a_branch_only_reads(flow_issues, write_part):
    write_part("order", ORDER_PART)
    issue = only(flow_issues("""
        name: x
        steps:
          - use: order
          - id: window
            gate: refund_window
            purchased_at: "${order.purchased_at}"
          - if: "order.state == 'issued'"
            else:
              - id: fine
                end: ok
            then:
              - id: poll
                wait: pm.refund
                with: {order_id: "1"}
                until: "poll.ref"
                every: 1h
                deadline: 1d
          - id: done
            end: ok
        """))
    assert issue.field == "steps[2].then[0].wait" and "has side effects" in issue.message


def test_every_path_must_end_in_an_outcome(flow_issues, valid_flow, write_part):
    write_part("order", ORDER_PART)
    issue = only(flow_issues("""
        name: x
        steps:
          - use: order
          - if: "order.state == 'issued'"
            then:
              - id: issued
                end: ok
        """))
    assert (issue.line, issue.field) == (4, "steps[1]")
    assert "can finish without an outcome" in issue.message
    flow = valid_flow("""
        name: x
        steps:
          - use: order
          - if: "order.state == 'issued'"
            then:
              - id: issued
                end: ok
            else:
              - id: other
                end: not_ok
        """)
    assert [s.when for s in flow.steps[1:]] == ["order.state == 'issued'",
                                                "not (order.state == 'issued')"]


def test_a_step_after_a_branch_that_always_ends_is_unreachable(flow_issues, write_part):
    write_part("order", ORDER_PART)
    issue = only(flow_issues("""
        name: x
        steps:
          - use: order
          - if: "order.state == 'issued'"
            then: [{id: a, end: ok}]
            else: [{id: b, end: ok}]
          - id: never
            end: ok
        """))
    assert (issue.line, issue.field) == (7, "steps[2]") and "unreachable" in issue.message


def test_outputs_of_another_branch_cannot_be_read(flow_issues, write_part):
    write_part("order", ORDER_PART)
    issues = flow_issues("""
        name: x
        steps:
          - use: order
          - if: "order.state == 'issued'"
            then:
              - id: looked
                action: pm.find_order
                with: {domain: d}
            else:
              - id: other
                end: ok
                message: "${looked.state}"
          - id: done
            end: ok
            message: "${looked.state}"
        """)
    assert [(i.line, i.field) for i in issues] == [(12, "steps[1].else[0].message"),
                                                   (15, "steps[2].message")]
    assert all("runs only when order.state == 'issued'" in i.message for i in issues)


def test_a_branch_condition_reads_only_what_is_known_before_it(flow_issues, write_part):
    write_part("order", ORDER_PART)
    issue = only(flow_issues("""
        name: x
        steps:
          - use: order
          - if: "later.state == 'issued'"
            then:
              - id: later
                action: pm.find_order
                with: {domain: d}
          - id: done
            end: ok
        """))
    assert (issue.line, issue.field) == (4, "steps[1].if") and "comes later" in issue.message


# named outcomes


def test_an_end_takes_its_outcome_from_the_one_place_it_is_written(valid_flow, write_part):
    write_part("order", ORDER_PART)
    write_part("outcomes", """
        outcomes:
          already_refunded:
            params:
              reference: {default: ""}
            message: "Order ${order.order_id} was refunded${params.reference}."
        """)
    flow = valid_flow("""
        name: x
        steps:
          - use: order
          - id: early
            when: "order.state == 'refunded'"
            end: already_refunded
          - id: late
            end: already_refunded
            with: {reference: " (reference ${order.partner_order_id})"}
        """)
    early, late = flow.step("early"), flow.step("late")
    assert isinstance(early, EndStep) and isinstance(late, EndStep)
    assert early.message == "Order ${order.order_id} was refunded."
    assert late.message == ("Order ${order.order_id} was refunded "
                            "(reference ${order.partner_order_id}).")


def test_an_outcome_is_said_once(flow_issues, write_part):
    outcomes = write_part("outcomes", """
        outcomes:
          refunded:
            message: "Refunded ${nothing.here}."
        """)
    issues = flow_issues("""
        name: x
        outcomes:
          refunded: {message: again}
        steps:
          - id: done
            end: refunded
            message: "a second message"
        """)
    found = {(Path(i.file).name, i.line, i.field) for i in issues}
    assert ("flow.yaml", 3, "outcomes.refunded") in found  # defined twice
    assert ("flow.yaml", 7, "steps[0].message") in found  # said again at the end step
    wrong = next(i for i in issues if i.file == str(outcomes))
    assert (wrong.line, wrong.field) == (3, "outcomes.refunded.message")
    assert "nothing" in wrong.message and wrong.via.endswith("flow.yaml:5")


# the shipped flows


# Every step id of the flows as they were before parts and branches, in order: a run stores the
# id of the step it stopped at, and resumes there under the rewritten flow.
SHIPPED_IDS = {
    "cancel_refund": ["order", "already_refunded", "window", "refund_now", "refunded_meanwhile",
                      "refunded_now", "info", "common_name_mismatch", "admin_email_missing",
                      "captcha", "image_number", "access", "cancelled", "refunded_elsewhere",
                      "refund", "refunded_meanwhile_late", "refunded"],
    "cancel_only": ["order", "already_cancelled", "not_issued", "window", "info",
                    "common_name_mismatch", "admin_email_missing", "captcha", "image_number",
                    "access", "cancelled", "done"],
    "refund_check": ["order", "already_refunded", "window", "refundable"],
}


@pytest.mark.parametrize("name", sorted(SHIPPED_IDS))
def test_shipped_flows_keep_their_step_ids_in_order(name):
    flow = load_flow(SHIPPED / f"{name}.yaml")
    assert [s.id for s in flow.steps] == SHIPPED_IDS[name]
    assert tree_lines(flow)[0].strip().startswith("use ")


def test_shipped_flows_say_each_thing_once():
    """No run of 8 identical lines twice across the flows and their parts; no `when:` twice in
    one file."""
    files = sorted(SHIPPED.glob("*.yaml")) + sorted((SHIPPED / "parts").glob("*.yaml"))
    seen: dict[tuple[str, ...], str] = {}
    for path in files:
        lines = [line.strip() for line in path.read_text().splitlines()]
        whens = [line for line in lines if line.startswith("when:")]
        assert len(whens) == len(set(whens)), path
        for start in range(len(lines) - 7):
            run = tuple(lines[start:start + 8])
            if any(run):
                where = f"{path.name}:{start + 1}"
                assert run not in seen, f"{where} repeats {seen.get(run)}"
                seen[run] = where


def test_the_documented_flow_from_existing_parts_is_valid():
    """docs/flows.md shows a flow made of the shipped parts; keep it true against them and the
    registered actions."""
    doc = (SHIPPED.parent / "docs" / "flows.md").read_text()
    block = re.search(r"```yaml\n(name: cancel_check\n.*?)```", doc, re.S)
    assert block is not None
    flow = validate_text(block.group(1), str(SHIPPED / "cancel_check.yaml"),
                         parts=SHIPPED / "parts")
    assert [s.id for s in flow.steps] == ["order", "info", "common_name_mismatch",
                                          "admin_email_missing", "ready"]
    ready = flow.step("ready")
    assert isinstance(ready, EndStep) and ready.message and "GeoTrust" in ready.message


def test_the_tree_shows_parts_and_branches_as_written():
    lines = tree_lines(load_flow(SHIPPED / "cancel_refund.yaml"))
    assert lines[:3] == ["  use refundable_order", "    use find_order",
                         "      order".ljust(32) + "action pm.find_order"]
    branch = lines.index("  if order.state in ('pending_setup', 'cancelled')")
    assert lines[branch + 1].startswith("    refund_now ")
    otherwise = lines.index("  else")
    assert lines[otherwise + 1:otherwise + 2] == ["    use symantec_order"]
    assert lines[-1].startswith("    refunded ") and "end refunded" in lines[-1]
