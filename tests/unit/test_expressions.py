"""The safe expression evaluator and ${...} templates."""

from __future__ import annotations

import pytest

from runner.language.expressions import (
    ExpressionError,
    evaluate,
    expressions_in,
    parse,
    references,
    render,
    render_value,
    truthy,
)

CTX = {
    "order": {"state": "issued", "order_id": "ORD-1", "count": 3, "refund": None},
    "window": {"eligible": True, "days_left": 4},
    "inputs": {"domain": "shop.example"},
}


@pytest.mark.parametrize(("expr", "value"), [
    ("order.state == 'issued'", True),
    ("order.state != 'issued'", False),
    ("order.count > 2 and order.count <= 3", True),
    ("1 < order.count < 3", False),
    ("order.state in ('issued', 'pending_setup')", True),
    ("order.state not in ['cancelled']", True),
    ("not window.eligible or order.count >= 10", False),
    ("(window.eligible and order.state == 'issued')", True),
    ("order.refund is None", True),
    ("order.refund == None", True),
    ("window.days_left > -1", True),
    ("inputs.domain", "shop.example"),
    ("order.refund or 'none yet'", "none yet"),
    ("True", True),
    ("'shop' in inputs.domain", True),
    ("same_domain(inputs.domain, 'WWW.Shop.Example.')", True),
    ("not same_domain(inputs.domain, order.state)", True),
    ("same_domain(inputs.domain, None)", False),
    ("text_if(window.eligible, 'sent already. ')", "sent already. "),
    ("text_if(order.refund, 'refunded. ')", ""),
    ("text_if(True, None)", ""),
])
def test_allowed_forms(expr, value):
    assert evaluate(expr, CTX) == value


@pytest.mark.parametrize(("expr", "why"), [
    ("__import__('os')", "function calls are not allowed"),
    ("__import__", "names starting with '_' are not allowed"),
    ("order.__class__", "attributes starting with '_' are not allowed"),
    ("order.__class__.__mro__", "attributes starting with '_'"),
    ("order._private", "attributes starting with '_'"),
    ("len(order)", "function calls are not allowed, except same_domain(x, y), text_if(x, y) "
                   "('len' is not"),
    ("same_domain(inputs.domain)", "same_domain takes 2 positional arguments"),
    ("same_domain(inputs.domain, y=order)", "same_domain takes 2 positional arguments"),
    ("same_domain(*order, order)", "must be dotted names or constants"),
    ("same_domain(order.state.upper(), order)", "must be dotted names or constants"),
    ("same_domain(order._secret, order)", "attributes starting with '_'"),
    ("order.same_domain(order, order)", "except by name"),
    ("order.state.upper()", "function calls are not allowed"),
    ("order['state']", "subscripts are not allowed"),
    ("order.count + 1", "arithmetic is not allowed"),
    ("lambda: 1", "lambdas are not allowed"),
    ("[x for x in order]", "ListComp is not allowed"),
    ("(x := 1)", "assignment is not allowed"),
    ("'a' if order else 'b'", "conditional expressions are not allowed"),
    ("[order.state]", "lists and tuples may hold constants only"),
    ("{'a': 1}", "Dict is not allowed"),
    ("'abc'.join", "attributes are allowed on dotted names only"),
    ("order.count ** 99999", "arithmetic is not allowed"),
    ("", "empty expression"),
    ("order.state ==", "syntax error"),
    ("import os", "syntax error"),
])
def test_rejected_forms(expr, why):
    with pytest.raises(ExpressionError, match="expression .*" if expr else "empty") as caught:
        parse(expr)
    assert why in caught.value.message
    assert caught.value.code == "expression_invalid"


def test_missing_field_names_the_expression_and_what_exists():
    with pytest.raises(ExpressionError) as caught:
        evaluate("order.stat == 'x'", CTX)
    assert caught.value.code == "expression_unresolved"
    assert caught.value.message == ("expression \"order.stat == 'x'\": order has no field 'stat' "
                                    "(fields: count, order_id, refund, state)")


def test_missing_step_names_the_expression():
    with pytest.raises(ExpressionError, match="'captcha' is not in the run context"):
        evaluate("captcha.image_path", CTX)


def test_attribute_of_a_plain_value_is_not_looked_up():
    with pytest.raises(ExpressionError, match="order.state is str, it has no field 'upper'"):
        evaluate("order.state.upper", CTX)


def test_type_mismatch_is_an_expression_error():
    with pytest.raises(ExpressionError) as caught:
        evaluate("order.count < 'a'", CTX)
    assert caught.value.code == "expression_type"


def test_truthy():
    assert truthy("window.eligible", CTX) is True
    assert truthy("order.refund", CTX) is False


def test_references():
    assert references("order.state == 'x' and not window.eligible or inputs.domain in ['a']") == {
        "order.state", "window.eligible", "inputs.domain"}
    assert references("True") == set()
    assert references("order") == {"order"}
    assert references("same_domain(info.common_name, inputs.domain)") == {
        "info.common_name", "inputs.domain"}  # the function's name is not a value


class TestTemplates:
    def test_whole_expression_keeps_its_type(self):
        assert render("${order.count}", CTX) == 3
        assert render("${window.eligible}", CTX) is True
        assert render("${order.refund}", CTX) is None

    def test_mixed_text_interpolates(self):
        assert render("Order ${order.order_id} for ${inputs.domain} (${order.count})", CTX) == (
            "Order ORD-1 for shop.example (3)")

    def test_none_renders_as_empty_text(self):
        assert render("ref: ${order.refund}", CTX) == "ref: "

    def test_plain_text_and_escape(self):
        assert render("no templates here", CTX) == "no templates here"
        assert render("literal $${order.state}", CTX) == "literal ${order.state}"

    def test_braces_inside_quoted_strings(self):
        assert render("${order.state == '}'}", CTX) is False

    def test_unclosed(self):
        with pytest.raises(ExpressionError, match="unclosed"):
            render("x ${order.state", CTX)

    def test_disallowed_inside_template(self):
        with pytest.raises(ExpressionError, match="function calls"):
            render("${__import__('os').getcwd()}", CTX)

    def test_expressions_in(self):
        assert expressions_in("a ${x.y} b ${z} $${not_me}") == ["x.y", "z"]

    def test_render_value_walks_structures(self):
        assert render_value({"domain": "${inputs.domain}", "n": 2, "list": ["${order.count}"]},
                            CTX) == {"domain": "shop.example", "n": 2, "list": [3]}
