"""Conditions and templates in flows, evaluated without ``eval``.

Flows are data that people edit; an expression such as ``order.state == 'issued'`` must not be
able to reach Python. We parse with ``ast`` and walk a whitelist: dotted names that look values
up in the run context (plain dicts only, never ``getattr``), constants, comparisons, and/or/not,
lists or tuples of constants, and calls of the few pure functions in ``FUNCTIONS`` by name with
plain arguments. Anything else is refused when the flow is validated, so a bad expression fails
before any browser starts rather than halfway through a refund.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from runner.domains import same_domain
from runner.errors import ErrorCode, RunnerError


class ExpressionError(RunnerError):
    """An expression is not allowed, does not parse, or names something the run does not have."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.EXPRESSION_INVALID, *,
                 expression: str = "", **context: Any) -> None:
        super().__init__(message, code, context)
        self.expression = expression


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_CONSTANT_TYPES = (str, int, float, bool, type(None))
# The only functions a flow may call: pure, total (they answer for any value, never raise) and
# with a fixed number of positional arguments. Name -> (arity, function).
def text_if(condition: object, text: object) -> str:
    """``text`` when ``condition`` holds, else empty text: one sentence a message adds only in
    one case (an access link another ticket already had sent), without a branch in the flow."""
    return "" if not condition or text is None else str(text)


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "same_domain": (2, same_domain),
    "text_if": (2, text_if),
}
_REFUSED = {
    ast.Subscript: "subscripts are not allowed; use dotted names (order.state)",
    ast.Lambda: "lambdas are not allowed",
    ast.BinOp: "arithmetic is not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.NamedExpr: "assignment is not allowed",
}


MAX_LENGTH = 1000  # a flow's conditions are one line; a longer one is a mistake (or an attack)


def _refuse(expr: str, why: str) -> ExpressionError:
    shown = expr if len(expr) <= 80 else expr[:77] + "..."
    return ExpressionError(f"expression {shown!r}: {why}", expression=shown)


def _check_constant(node: ast.expr, expr: str) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, _CONSTANT_TYPES):
        return
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float)):
        return
    raise _refuse(expr, "lists and tuples may hold constants only")


def _check_call(node: ast.Call, expr: str) -> None:
    """A call of a listed function by its bare name, with dotted names or constants only."""
    allowed = ", ".join(f"{name}({', '.join('xy'[:arity])})"
                        for name, (arity, _) in FUNCTIONS.items())
    if not isinstance(node.func, ast.Name):
        raise _refuse(expr, f"function calls are not allowed, except by name: {allowed}")
    if node.func.id not in FUNCTIONS:
        raise _refuse(expr, f"function calls are not allowed, except {allowed} "
                            f"({node.func.id!r} is not one)")
    arity = FUNCTIONS[node.func.id][0]
    if node.keywords or len(node.args) != arity:
        raise _refuse(expr, f"{node.func.id} takes {arity} positional arguments")
    for arg in node.args:
        if not isinstance(arg, ast.Name | ast.Attribute | ast.Constant):
            raise _refuse(expr, f"arguments of {node.func.id} must be dotted names or constants")
        _check(arg, expr)


def _check(node: ast.AST, expr: str) -> None:
    """Walk the tree once at parse time so evaluation can trust its shape."""
    match node:
        case ast.Expression(body=body):
            _check(body, expr)
        case ast.Name(id=name):
            if name.startswith("_"):
                raise _refuse(expr, f"names starting with '_' are not allowed ({name})")
        case ast.Attribute(value=value, attr=attr):
            if attr.startswith("_"):
                raise _refuse(expr, f"attributes starting with '_' are not allowed ({attr})")
            if not isinstance(value, ast.Name | ast.Attribute):
                raise _refuse(expr, "attributes are allowed on dotted names only")
            _check(value, expr)
        case ast.Constant(value=value):
            if not isinstance(value, _CONSTANT_TYPES):
                raise _refuse(expr, f"constant {value!r} is not allowed")
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            for elt in elts:
                _check_constant(elt, expr)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            for op in ops:
                if type(op) not in _COMPARE:
                    raise _refuse(expr, f"operator {type(op).__name__} is not allowed")
            for child in (left, *comparators):
                _check(child, expr)
        case ast.BoolOp(values=values):
            for child in values:
                _check(child, expr)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            _check(operand, expr)
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() | float())):
            pass
        case ast.Call():
            _check_call(node, expr)
        case _:
            why = _REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
            raise _refuse(expr, why)


@functools.lru_cache(maxsize=512)
def parse(expr: str) -> ast.Expression:
    """Parse and whitelist once; both the validator and the executor go through here."""
    if not isinstance(expr, str) or not expr.strip():
        raise _refuse(str(expr), "empty expression")
    if len(expr) > MAX_LENGTH:
        raise _refuse(expr, f"longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
        _check(tree, expr)
    except SyntaxError as exc:
        raise _refuse(expr, f"syntax error: {exc.msg}") from exc
    except (RecursionError, MemoryError) as exc:  # nesting deep enough to exhaust the parser
        raise _refuse(expr, "nested too deeply") from exc
    return tree


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def references(expr: str) -> set[str]:
    """Every dotted name the expression reads (``order.state``, ``inputs.domain``)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call):  # the function's name is not a value of the run
            for arg in node.args:
                visit(arg)
            return
        if isinstance(node, ast.Attribute | ast.Name):
            name = _dotted(node)
            if name is not None:
                found.add(name)
                return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(parse(expr))
    return found


def lookup(dotted: str, ctx: Mapping[str, Any], expr: str | None = None) -> Any:
    """Resolve ``a.b.c`` through nested mappings; a missing part names what is there instead."""
    expr = expr or dotted
    parts = dotted.split(".")
    value: Any = ctx
    for depth, part in enumerate(parts):
        where = ".".join(parts[:depth])
        if not isinstance(value, Mapping):
            raise ExpressionError(
                f"expression {expr!r}: {where} is {type(value).__name__}, it has no field {part!r}",
                code=ErrorCode.EXPRESSION_UNRESOLVED, expression=expr)
        if part not in value:
            if depth == 0:
                why = f"{part!r} is not in the run context (unknown, or a step that was skipped)"
            else:
                known = ", ".join(sorted(map(str, value))) or "none"
                why = f"{where} has no field {part!r} (fields: {known})"
            raise ExpressionError(f"expression {expr!r}: {why}",
                                  code=ErrorCode.EXPRESSION_UNRESOLVED, expression=expr)
        value = value[part]
    return value


def _eval(node: ast.AST, ctx: Mapping[str, Any], expr: str) -> Any:
    match node:
        case ast.Expression(body=body):
            return _eval(body, ctx, expr)
        case ast.Name() | ast.Attribute():
            return lookup(_dotted(node) or "", ctx, expr)
        case ast.Constant(value=value):
            return value
        case ast.List(elts=elts):
            return [_eval(e, ctx, expr) for e in elts]
        case ast.Tuple(elts=elts):
            return tuple(_eval(e, ctx, expr) for e in elts)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _eval(operand, ctx, expr)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_eval(operand, ctx, expr)
        case ast.BoolOp(op=ast.And(), values=values):
            result: Any = True
            for child in values:
                result = _eval(child, ctx, expr)
                if not result:
                    return result
            return result
        case ast.BoolOp(op=ast.Or(), values=values):
            result = False
            for child in values:
                result = _eval(child, ctx, expr)
                if result:
                    return result
            return result
        case ast.Call(func=ast.Name(id=name), args=args):
            return FUNCTIONS[name][1](*(_eval(a, ctx, expr) for a in args))
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            current = _eval(left, ctx, expr)
            for op, right_node in zip(ops, comparators, strict=True):
                right = _eval(right_node, ctx, expr)
                try:
                    ok = _COMPARE[type(op)](current, right)
                except TypeError as exc:
                    raise ExpressionError(f"expression {expr!r}: {exc}",
                                          code=ErrorCode.EXPRESSION_TYPE, expression=expr) from exc
                if not ok:
                    return False
                current = right
            return True
    raise _refuse(expr, f"{type(node).__name__} is not allowed")  # unreachable after _check


def evaluate(expr: str, ctx: Mapping[str, Any]) -> Any:
    """The value of ``expr`` in the run context (step outputs by step id, plus ``inputs``)."""
    return _eval(parse(expr), ctx, expr)


def truthy(expr: str, ctx: Mapping[str, Any]) -> bool:
    """A ``when:`` or ``until:`` condition."""
    return bool(evaluate(expr, ctx))


# ${...} templates. A quoted string inside the braces may contain '}'; '$${' is a literal '${'.
_TEMPLATE = re.compile(r"""\$\$\{|\$\{((?:[^}'"]|'[^']*'|"[^"]*")*)\}""")


def expressions_in(template: str) -> list[str]:
    """The expressions inside a template's ``${...}``; an unclosed ``${`` is an error."""
    found = [m.group(1) for m in _TEMPLATE.finditer(template) if m.group(0) != "$${"]
    leftover = _TEMPLATE.sub("", template)
    if "${" in leftover:
        raise _refuse(template, "unclosed '${' in template")
    return found


def render(template: str, ctx: Mapping[str, Any]) -> Any:
    """``"${expr}"`` alone yields the raw value; mixed text interpolates (None as empty text)."""
    whole = _TEMPLATE.fullmatch(template)
    if whole and whole.group(0) != "$${":
        return evaluate(whole.group(1), ctx)
    expressions_in(template)

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        value = evaluate(match.group(1), ctx)
        return "" if value is None else str(value)

    return _TEMPLATE.sub(substitute, template)


def render_value(value: Any, ctx: Mapping[str, Any]) -> Any:
    """Render every string inside a ``with:`` value, keeping numbers, lists and maps in shape."""
    if isinstance(value, str):
        return render(value, ctx)
    if isinstance(value, Mapping):
        return {k: render_value(v, ctx) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(v, ctx) for v in value]
    return value
