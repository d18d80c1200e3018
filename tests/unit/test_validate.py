"""Flow validation: every rule reports file, line and field, and all problems come at once."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from runner.actions import ActionSpec, Effect
from runner.error_codes import ErrorCode
from runner.errors import InputError
from runner.language.model import (
    ActionStep,
    AskStep,
    EndStatus,
    EndStep,
    GateStep,
    OnExpired,
    WaitStep,
)
from runner.language.validate import FlowInvalid, check_inputs, load_flow, validate_text
from runner.language.yaml_lines import FlowError, Issue
from tests.unit.flowtext import flow_yaml


def only(issues: list[Issue]) -> Issue:
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def test_the_shipped_flow_is_valid(cancel_refund):
    flow = cancel_refund
    assert flow.name == "cancel_refund"
    kinds = [type(s) for s in flow.steps]
    assert kinds.count(GateStep) == 1 and kinds.count(WaitStep) == 1 and kinds.count(AskStep) == 1
    wait = flow.step("cancelled")
    assert isinstance(wait, WaitStep)
    assert (wait.every, wait.deadline) == (timedelta(hours=6), timedelta(days=30))
    assert wait.timeout_code == "customer_did_not_cancel"
    access = flow.step("access")
    assert isinstance(access, ActionStep)
    assert access.key == "${order.order_id}"
    assert access.on_error == {"captcha_incorrect": "captcha", "captcha_expired": "captcha"}
    assert flow.required_inputs() == ["domain"]
    gate = flow.gate()
    assert gate is not None and gate.on_expired is OnExpired.DENY
    assert gate.file is not None and gate.file.endswith("parts/refundable_order.yaml")
    refunds = [s for s in flow.steps if isinstance(s, ActionStep) and s.action == "pm.refund"]
    assert all(s.index > gate.index for s in refunds)
    assert isinstance(flow.steps[-1], EndStep) and flow.steps[-1].outcome == "refunded"


def test_issue_text_names_file_line_and_field(flow_issues, write_flow):
    issue = only(flow_issues(flow_yaml("""
          - id: a
            action: pm.refnd
            with: {order_id: "1"}
          - id: done
            end: ok
        """)))
    assert str(issue) == (f"{write_flow('x')}:4: steps[0].action: unknown action 'pm.refnd' "
                          "(did you mean 'pm.refund'?)")


def test_bad_yaml_names_line_and_snippet(write_flow, actions):
    path = write_flow(flow_yaml("""
          - id: a
            action: pm.find_order: oops
        """))
    with pytest.raises(FlowError) as caught:
        load_flow(path, actions)
    assert caught.value.code == "flow_yaml_invalid"
    assert caught.value.kind == "input"
    assert str(caught.value).startswith(f"{path}:4: mapping values are not allowed here")
    assert "action: pm.find_order: oops" in str(caught.value)


def test_missing_file(tmp_path, actions):
    with pytest.raises(FlowError, match="no such file") as caught:
        load_flow(tmp_path / "nope.yaml", actions)
    assert caught.value.code == "flow_not_found"


def test_missing_name_and_steps(flow_issues):
    issues = flow_issues("""
        description: nothing else
        """)
    assert [(i.line, i.field) for i in issues] == [(1, "name"), (1, "steps")]


def test_not_a_mapping(flow_issues):
    assert only(flow_issues("- just\n- a list\n")).message.startswith("a flow must be a mapping")


def test_empty_steps_and_typo_key(flow_issues):
    issues = flow_issues("""
        name: x
        steps: []
        stepz: 1
        """)
    assert [(i.line, i.field) for i in issues] == [(2, "steps"), (3, "stepz")]
    assert "did you mean 'steps'" in issues[1].message


def test_step_with_no_kind(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: a
            acton: pm.find_order
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (3, "steps[0]")
    assert "no kind" in issue.message and "did you mean 'action'" in issue.message


def test_step_with_two_kinds(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: a
            action: pm.find_order
            with: {domain: d}
            end: found
        """)))
    assert (issue.line, issue.field) == (6, "steps[0]")
    assert "more than one kind (action and end)" in issue.message


def test_unknown_field_for_kind(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: a
            action: pm.find_order
            with: {domain: d}
            until: "a.state == 'x'"
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (6, "steps[0].until")


def test_unknown_action_suggests(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: order
            action: pm.find_ordr
            with: {domain: d}
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (4, "steps[0].action")
    assert issue.message == "unknown action 'pm.find_ordr' (did you mean 'pm.find_order'?)"


def test_duplicate_step_id(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: order
            action: pm.find_order
            with: {domain: d}
          - id: order
            action: pm.find_order
            with: {domain: e}
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (6, "steps[1].id")
    assert "duplicate step id 'order' (first on line 3)" in issue.message


def test_bad_step_id(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: inputs
            end: ok
        """)))
    assert (issue.line, issue.field) == (3, "steps[0].id")


@pytest.mark.parametrize(("expr", "message"), [
    ("${ordr.state}", "no step or input named 'ordr' (did you mean 'order'?)"),
    ("${order.stat}", "step 'order' has no output 'stat' (did you mean 'state'?)"),
    ("${inputs.domian}", "unknown input 'domian' in 'inputs.domian' (did you mean 'domain'?)"),
    ("${later.value}", "step 'later' comes later (steps[2], line 10)"),
    ("${done.x}", "step 'done' comes later"),
    ("${note.anything}", "a step cannot use its own outputs"),
    ("${inputs.extra}", None),
    ("text ${inputs.domain} and ${order.order_id}", None),
    ("${order.state", "unclosed '${' in template"),
    ("${order.__class__}", "attributes starting with '_' are not allowed"),
])
def test_references_in_templates(flow_issues, valid_flow, expr, message):
    text = flow_yaml(f"""
          - id: order
            action: pm.find_order
            with: {{domain: "${{inputs.domain}}"}}
          - id: note
            action: pm.note
            with: {{text: "{expr}"}}
          - id: later
            ask: extra
            prompt: anything
          - id: done
            end: ok
        """, inputs="{domain: {required: true}, extra: {}}")
    if message is None:
        valid_flow(text)
        return
    issue = only(flow_issues(text))
    assert (issue.line, issue.field) == (9, "steps[1].with.text")
    assert message in issue.message


def test_action_without_declared_outputs_accepts_any_field(valid_flow):
    valid_flow(flow_yaml("""
          - id: note
            action: pm.note
            with: {text: hello}
          - id: done
            end: ok
            message: "${note.anything}"
        """))


def test_reference_in_when_to_later_step(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: early
            when: "late.state == 'x'"
            end: early
          - id: late
            action: pm.find_order
            with: {domain: d}
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (4, "steps[0].when")
    assert "comes later (steps[1], line 6)" in issue.message


def test_when_cannot_read_own_outputs_but_until_can(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: poll
            when: "poll.state == 'x'"
            wait: pm.find_order
            with: {domain: d}
            until: "poll.state == 'cancelled'"
            every: 1h
            deadline: 1d
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (4, "steps[0].when")
    assert "cannot use its own outputs" in issue.message


def test_disallowed_expression_in_when(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: a
            when: "__import__('os').system('true')"
            end: x
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (4, "steps[0].when")
    assert "function calls are not allowed" in issue.message


def test_missing_and_unknown_with_keys(flow_issues):
    issues = flow_issues(flow_yaml("""
          - id: captcha
            action: geotrust.read_captcha
            with:
              domain: d
              emial: e
          - id: done
            end: ok
        """))
    assert [(i.line, i.field) for i in issues] == [(5, "steps[0].with"), (7, "steps[0].with.emial")]
    assert issues[0].message == "missing input 'email' for geotrust.read_captcha"
    assert "did you mean 'email'?" in issues[1].message
    assert "accepts: domain, email, timeout" in issues[1].message


def test_missing_with_entirely(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: order
            action: pm.find_order
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (4, "steps[0].with")


def test_side_effect_before_gate(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: refund
            action: pm.refund
            with: {order_id: "1"}
            key: "1"
          - id: window
            gate: refund_window
            purchased_at: "2026-01-01T00:00:00+00:00"
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (4, "steps[0].action")
    assert "comes before the refund_window gate (steps[1], line 7)" in issue.message


def test_side_effect_without_gate(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: refund
            action: pm.refund
            with: {order_id: "1"}
            key: "1"
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (4, "steps[0].action")
    assert "no refund_window gate" in issue.message


def test_refund_after_a_gate_that_does_not_deny(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: window
            gate: refund_window
            purchased_at: "2026-01-01T00:00:00+00:00"
            on_expired: continue
          - id: refund
            action: pm.refund
            with: {order_id: "1"}
            key: "1"
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (8, "steps[1].action")
    assert "pays money out" in issue.message and "on_expired: continue" in issue.message


def test_side_effect_needs_a_key(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: window
            gate: refund_window
            purchased_at: "2026-01-01T00:00:00+00:00"
          - id: refund
            action: pm.refund
            with: {order_id: "1"}
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (7, "steps[1].action")
    assert "needs key:" in issue.message


def test_key_is_a_checked_template(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: window
            gate: refund_window
            purchased_at: "2026-01-01T00:00:00+00:00"
          - id: refund
            action: pm.refund
            with: {order_id: "1"}
            key: "${order.order_id}"
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (9, "steps[1].key")
    assert "no step or input named 'order'" in issue.message


@pytest.mark.parametrize(("on_error", "message"), [
    ("{captcha_incorrect: captcha}", None),
    ("{captcha_incorrect: access}", None),  # retrying itself is going back too
    ("{captcha_incorrect: capcha}", "unknown step 'capcha' (did you mean 'captcha'?)"),
    ("{captcha_incorrect: done}", "'done' comes later; on_error may only go back"),
    ("{captcha_incorect: captcha}", "unknown error code; geotrust.request_access never raises "
                                    "'captcha_incorect' (did you mean 'captcha_incorrect'?)"),
    ("{domain_not_found: captcha}", "never raises 'domain_not_found' (it raises: "
                                    "captcha_expired, captcha_incorrect)"),
    ("[captcha]", "must map error codes to step ids"),
])
def test_on_error_only_goes_back(flow_issues, valid_flow, on_error, message):
    text = flow_yaml(f"""
          - id: window
            gate: refund_window
            purchased_at: "2026-01-01T00:00:00+00:00"
          - id: captcha
            action: geotrust.read_captcha
            with: {{domain: d, email: e}}
          - id: access
            action: geotrust.request_access
            with: {{domain: d, email: e, image_number: "1"}}
            key: d
            on_error: {on_error}
          - id: done
            end: ok
        """)
    if message is None:
        valid_flow(text)
        return
    issue = only(flow_issues(text))
    assert (issue.line, issue.field) == (13, "steps[2].on_error")
    assert message in issue.message


def test_conditional_gate_is_refused(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: window
            when: "True"
            gate: refund_window
            purchased_at: "2026-01-01T00:00:00+00:00"
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (4, "steps[0].when")


def test_unknown_gate_kind(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: window
            gate: refund_windw
            purchased_at: "2026-01-01T00:00:00+00:00"
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (4, "steps[0].gate")


def test_wait_on_side_effect(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: window
            gate: refund_window
            purchased_at: "2026-01-01T00:00:00+00:00"
          - id: poll
            wait: pm.refund
            with: {order_id: "1"}
            until: "poll.ref != None"
            every: 1h
            deadline: 2d
          - id: done
            end: ok
        """)))
    assert (issue.line, issue.field) == (7, "steps[1].wait")
    assert "has side effects (use a read-only action)" in issue.message


@pytest.mark.parametrize(("every", "deadline", "line", "message"), [
    ("6x", "14d", 7, "bad duration '6x'"),
    ("6h", "fortnight", 8, "bad duration 'fortnight'"),
    ("6", "14d", 7, "bad duration 6:"),
    ("0s", "14d", 7, "longer than zero"),
    ("15d", "14d", 7, "must not be longer than the deadline"),
])
def test_bad_durations(flow_issues, every, deadline, line, message):
    issue = only(flow_issues(flow_yaml(f"""
          - id: poll
            wait: pm.find_order
            with: {{domain: d}}
            until: "poll.state == 'cancelled'"
            every: {every}
            deadline: {deadline}
          - id: done
            end: ok
        """)))
    assert issue.line == line
    assert message in issue.message


def test_missing_wait_fields(flow_issues):
    issues = flow_issues(flow_yaml("""
          - id: poll
            wait: pm.find_order
            with: {domain: d}
          - id: done
            end: ok
        """))
    assert [(i.line, i.field) for i in issues] == [
        (3, "steps[0].until"), (3, "steps[0].every"), (3, "steps[0].deadline")]


def test_unknown_end_status(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: done
            end: ok
            status: succeded
        """)))
    assert (issue.line, issue.field) == (5, "steps[0].status")
    assert "did you mean 'succeeded'" in issue.message


def test_end_status_and_message(valid_flow):
    flow = valid_flow(flow_yaml("""
          - id: done
            end: not_ours
            status: denied
            message: "We cannot help with this order."
        """))
    end = flow.steps[0]
    assert isinstance(end, EndStep) and end.status is EndStatus.DENIED


def test_a_failed_end_has_a_customer_message_and_an_internal_detail(valid_flow):
    flow = valid_flow("""
        name: x
        inputs:
          domain: {required: true}
        steps:
          - id: mismatch
            when: "not same_domain(inputs.domain, 'shop.example')"
            end: common_name_mismatch
            status: failed
            message: "We are checking the order for ${inputs.domain}."
            detail: "common name is not ${inputs.domain}"
          - id: done
            end: ok
        """)
    end = flow.steps[0]
    assert isinstance(end, EndStep) and end.status is EndStatus.FAILED
    assert end.detail == "common name is not ${inputs.domain}"


def test_detail_only_on_a_failed_end_and_its_references_checked(flow_issues):
    issues = flow_issues("""
        name: x
        steps:
          - id: checked
            end: odd
            status: failed
            detail: "no ${order.domain} here"
          - id: done
            end: ok
            detail: "internal"
        """)
    assert [(i.line, i.field) for i in issues] == [
        (4, "steps[0].end"), (6, "steps[0].detail"), (9, "steps[1].detail")]
    assert "needs a business error code declared in runner/error_codes.py" in issues[0].message
    assert "'order'" in issues[1].message
    assert "only an end with status: failed has a detail" in issues[2].message


def test_ask_must_name_a_declared_input(flow_issues):
    issue = only(flow_issues("""
        name: x
        inputs:
          image_number: {required: false}
        steps:
          - id: answer
            ask: image_numbr
            prompt: Read the number
          - id: done
            end: ok
        """))
    assert (issue.line, issue.field) == (6, "steps[0].ask")
    assert "did you mean 'image_number'" in issue.message


def test_ask_output_is_value(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: answer
            ask: code
            prompt: Give the code
          - id: done
            end: ok
            message: "${answer.text}"
        """, inputs="{code: {}}")))
    assert (issue.line, issue.field) == (9, "steps[1].message")
    assert "has no output 'text'" in issue.message and "outputs: value" in issue.message


def test_gate_outputs(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: window
            gate: refund_window
            purchased_at: "2026-01-01T00:00:00+00:00"
            on_expired: continue
          - id: done
            when: "window.eligble"
            end: ok
          - id: end
            end: other
        """)))
    assert (issue.line, issue.field) == (8, "steps[1].when")
    assert "did you mean 'eligible'" in issue.message


def test_last_step_must_be_an_unconditional_end(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: order
            action: pm.find_order
            with: {domain: d}
        """)))
    assert (issue.line, issue.field) == (3, "steps[0]")


def test_unreachable_step_after_end(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: done
            end: ok
          - id: order
            action: pm.find_order
            with: {domain: d}
          - id: really_done
            end: ok
        """)))
    assert (issue.line, issue.field) == (5, "steps[1]")
    assert "unreachable" in issue.message


def test_all_problems_are_reported_together_in_line_order(flow_issues):
    issues = flow_issues("""
        name: Bad Name
        steps:
          - id: order
            action: pm.find_ordr
            with: {domain: "${inputs.domain}"}
          - id: refund
            action: pm.refund
            with: {order_id: "${ordr.order_id}"}
            key: "${order.order_id}"
          - id: done
            end: ok
            status: maybe
        """)
    assert [i.line for i in issues] == [1, 4, 5, 7, 8, 12]
    assert [i.field for i in issues] == ["name", "steps[0].action", "steps[0].with.domain",
                                         "steps[1].action", "steps[1].with.order_id",
                                         "steps[2].status"]


def test_one_broken_step_does_not_cascade(flow_issues):
    issue = only(flow_issues(flow_yaml("""
          - id: order
            action: pm.find_order
            with: {domain: d}
            bogus: 1
          - id: done
            end: ok
            message: "${order.state}"
        """)))
    assert (issue.line, issue.field) == (6, "steps[0].bogus")


def test_validate_text_without_a_file(actions):
    flow = validate_text(flow_yaml("- id: done\n  end: ok"), "inline.yaml", actions)
    assert flow.path == "inline.yaml"
    with pytest.raises(FlowInvalid, match=r"inline.yaml:4: steps\[0\].end"):
        validate_text(flow_yaml("- id: done\n  end: Not OK"), "inline.yaml", actions)


def test_flow_invalid_serialises_its_issues(flow_issues, write_flow, actions):
    path = write_flow(flow_yaml("- id: a\n  action: nope\n- id: d\n  end: ok"))
    with pytest.raises(FlowInvalid) as caught:
        load_flow(path, actions)
    data = caught.value.to_dict()
    assert data["code"] == "flow_invalid" and data["kind"] == "input"
    assert data["issues"] == [f"{path}:4: steps[0].action: unknown action 'nope'"]


class TestCheckInputs:
    @pytest.fixture
    def flow(self, cancel_refund):
        return cancel_refund

    def test_required_input_missing(self, flow):
        with pytest.raises(InputError, match="needs input 'domain'") as caught:
            check_inputs(flow, {"image_number": "12345"})
        assert caught.value.code == "missing_input"
        assert caught.value.context["input"] == "domain"

    def test_blank_counts_as_missing(self, flow):
        with pytest.raises(InputError) as caught:
            check_inputs(flow, {"domain": "  "})
        assert caught.value.code == "missing_input"

    def test_unknown_input_suggests(self, flow):
        with pytest.raises(InputError, match="did you mean 'image_number'") as caught:
            check_inputs(flow, {"domain": "a.example", "image_numbr": "1"})
        assert caught.value.code == "unknown_input"

    def test_complete(self, flow):
        supplied = {"domain": "a.example"}
        assert check_inputs(flow, supplied) == supplied


def test_default_catalog_is_used_when_none_given(tmp_path: Path):
    path = tmp_path / "f.yaml"
    path.write_text(flow_yaml("- id: a\n  action: surely.not_registered\n- id: d\n  end: ok"))
    with pytest.raises(FlowInvalid, match="unknown action 'surely.not_registered'"):
        load_flow(path)


def test_the_documented_example_is_valid():
    """docs/flows.md shows a flow; keep it true (its action names are stand-ins)."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "flows.md"
    block = re.search(r"```yaml\n(.*?)```", doc.read_text(), re.S)
    assert block is not None

    def spec(name: str, inputs: tuple[str, ...], outputs: tuple[str, ...] = (),
             effect: Effect = Effect.READ) -> ActionSpec:
        probe = "pm.find_order" if effect is Effect.SIDE_EFFECT else None
        return ActionSpec(name, effect, lambda ctx: None, inputs, (), outputs, "", probe,
                          raises=frozenset(ErrorCode))

    catalog = {s.name: s for s in [
        spec("pm.find_order", ("domain",), ("order_id", "partner_order_id", "purchased_at",
                                            "state")),
        spec("symantec.order_info", ("partner_order_id",), ("common_name", "admin_email")),
        spec("geotrust.read_captcha", ("domain",), ("image_path",)),
        spec("geotrust.request_access", ("domain", "email", "image_number"),
             effect=Effect.SIDE_EFFECT),
        spec("pm.refund", ("order_id",), ("ref",), Effect.SIDE_EFFECT),
    ]}
    flow = validate_text(block.group(1), "docs/flows.md", catalog)
    assert flow.steps[-1].id == "done"


def test_unquoted_comma_in_a_flow_mapping_is_caught(flow_issues):
    issue = only(flow_issues("""
        name: x
        inputs:
          code: {required: false, description: the answer, asked later}
        steps:
          - id: done
            end: ok
        """))
    assert (issue.line, issue.field) == (3, "inputs.code.asked later")


FLOWS = sorted((Path(__file__).resolve().parents[2] / "flows").glob("*.yaml"))


@pytest.mark.parametrize("path", FLOWS, ids=[p.stem for p in FLOWS])
def test_shipped_flows_are_valid_against_the_registered_actions(path):
    """The flows in flows/ and the actions in pages/ must agree before anything runs."""
    flow = load_flow(path)
    assert flow.name == path.stem


def test_timeout_code_must_be_a_declared_business_code(flow_issues):
    [issue] = flow_issues("""
        name: x
        steps:
          - id: waiting
            wait: pm.find_order
            with: {domain: d}
            until: "waiting.state == 'cancelled'"
            every: 1h
            deadline: 1d
            timeout_code: customer_did_not_cancle
          - id: done
            end: ok
        """)
    assert (issue.line, issue.field) == (9, "steps[0].timeout_code")
    assert "did you mean 'customer_did_not_cancel'" in issue.message


def test_a_flow_may_not_play_the_customer(flow_issues):
    [issue] = flow_issues("""
        name: x
        steps:
          - id: window
            gate: refund_window
            purchased_at: "2026-01-01T00:00:00+00:00"
          - id: cancel
            action: portal.cancel_certificate
            with: {link: "https://portal.example/x"}
            key: x
          - id: done
            end: ok
        """)
    assert (issue.line, issue.field) == (7, "steps[1].action")
    assert "portal.cancel_certificate is the customer's own action" in issue.message
