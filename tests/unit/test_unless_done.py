"""``unless_done:`` is checked before anything runs: it names a later side-effect step with a
key, whose key can be rendered at the step that names it; each problem at file:line."""

from __future__ import annotations

import pytest

from runner.language.model import ActionStep, AskStep
from tests.unit.flowtext import flow_yaml

INPUTS = "{domain: {required: true}, image_number: {required: false}}"


def steps(*, captcha: str = "access", image: str = "access", gate_extra: str = "",
          key: str = "${order.order_id}", between: str = "") -> str:
    """The access part of the procedure; ``captcha``/``image`` are their unless_done targets."""
    return flow_yaml(f"""
      - id: order
        action: pm.find_order
        with: {{domain: "${{inputs.domain}}"}}
      - id: window
        gate: refund_window
        purchased_at: "${{order.purchased_at}}"{gate_extra}
      - id: captcha
        unless_done: {captcha}
        action: geotrust.read_captcha
        with: {{domain: "${{inputs.domain}}", email: a@example.com}}
      - id: image_number
        unless_done: {image}
        ask: image_number
        prompt: Read the captcha
        artifact: "${{captcha.image_path}}"{between}
      - id: access
        action: geotrust.request_access
        with: {{domain: "${{inputs.domain}}", email: a@example.com,
               image_number: "${{inputs.image_number}}"}}
        key: "{key}"
      - id: done
        end: sent
    """, inputs=INPUTS)


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """The 1-based line of the nth line containing ``needle``."""
    return [n for n, line in enumerate(text.splitlines(), 1) if needle in line][nth]


def test_steps_that_feed_a_side_effect_name_it(valid_flow):
    flow = valid_flow(steps())
    captcha, image = flow.step("captcha"), flow.step("image_number")
    assert isinstance(captcha, ActionStep) and isinstance(image, AskStep)
    assert (captcha.unless_done, image.unless_done) == ("access", "access")
    assert flow.step("access").unless_done is None


@pytest.mark.parametrize(("captcha", "message"), [
    ("acess", "unknown step 'acess' (did you mean 'access'?)"),
    ("order", "'order' (steps[0], line 4) must come after this step: unless_done names the "
              "side effect this step feeds"),
    ("captcha", "'captcha' (steps[2], line 10) must come after this step"),
    ("done", "'done' (line 24) is not a side-effecting action step; unless_done names one"),
])
def test_a_wrong_target_is_named_at_its_line(flow_issues, write_flow, captcha, message):
    text = steps(captcha=captcha)
    (issue,) = flow_issues(text)
    assert (issue.line, issue.field) == (line_of(text, "unless_done"), "steps[2].unless_done")
    assert issue.message.startswith(message), issue.message
    assert str(issue).startswith(f"{write_flow(text)}:{issue.line}: steps[2].unless_done: ")


def test_a_read_only_target_is_refused(flow_issues):
    text = steps(image="captcha")  # captcha comes before image_number: refused for that first
    (issue,) = flow_issues(text)
    assert issue.field == "steps[3].unless_done"
    assert "must come after this step" in issue.message
    text = steps(captcha="image_number")  # later, but an ask, not a side effect
    (issue,) = flow_issues(text)
    assert issue.message.startswith("'image_number' (line 14) is not a side-effecting action")


def test_only_action_and_ask_steps_may_be_skipped(flow_issues):
    text = steps(gate_extra="\n        unless_done: access")
    issues = flow_issues(text)
    assert [(i.line, i.field) for i in issues] == [(line_of(text, "unless_done"),
                                                   "steps[1].unless_done")]
    assert issues[0].message == ("only action and ask steps may be skipped by unless_done, "
                                 "not a gate step")


def test_the_targets_key_must_be_known_at_the_step(flow_issues):
    """The ledger row is looked up with the target's key, rendered at the skipped step."""
    text = steps(key="${again.order_id}", between="""
      - id: again
        action: pm.find_order
        with: {domain: "${inputs.domain}"}""")
    issues = flow_issues(text)
    assert [i.field for i in issues] == ["steps[2].unless_done", "steps[3].unless_done"]
    assert issues[0].message == (
        "the key of 'access' (${again.order_id}) reads 'again.order_id', which is not known "
        "yet at this step ('again' is steps[4])")


def test_unless_done_must_be_text(flow_issues):
    text = steps(captcha="[access]")
    (issue,) = flow_issues(text)
    assert (issue.line, issue.field) == (line_of(text, "unless_done"), "steps[2].unless_done")
    assert issue.message == "must be text, got ['access']"


def test_every_problem_comes_at_once(flow_issues):
    text = steps(captcha="acess", image="done")
    assert [(i.line, i.field) for i in flow_issues(text)] == [
        (line_of(text, "unless_done", 0), "steps[2].unless_done"),
        (line_of(text, "unless_done", 1), "steps[3].unless_done")]
