"""The ``if:`` blocks of a flow as written: their conditions, and whether every path ends.

Lowering flattens branches into steps, but a condition belongs to no step: it reads what is
known where its block starts, so it is checked there. A run that can finish without an outcome
leaves the caller nothing to act on, and a step after a block that always ends never runs
though its author thinks it does; both can only be seen on the tree, not on the flat steps.
"""

from __future__ import annotations

from runner.language.model import BranchNode, EndStep, Node, Origin, Step, StepNode, UseNode
from runner.language.references import expression
from runner.language.walk import Walk
from runner.language.yaml_lines import Issue


def conditions_by_start(nodes: tuple[Node, ...]) -> dict[int, list[BranchNode]]:
    """Every branch of the tree, by the index of the step its ``then:`` block starts at."""
    found: dict[int, list[BranchNode]] = {}
    _collect_branches(nodes, found)
    return found


def branch_condition(walk: Walk, branch: BranchNode, first: Step) -> None:
    """An ``if:`` reads what is known where its block starts, on the path around it."""
    arms = first.arms[:first.arms.index(branch.arm)] if branch.arm in first.arms else ()
    via = first.origin.via if first.origin and first.origin.file == branch.file else ""
    stand_in = EndStep(id="", index=first.index, line=branch.line, outcome="",
                       lines={"if": branch.line}, arms=arms,
                       origin=Origin(branch.file, branch.where, via))
    walk.current = stand_in
    expression(walk, stand_in, "if", branch.arm.condition)


def check_ending(walk: Walk) -> None:
    """Every path ends in an outcome; nothing stands after a block that always ends."""
    tree = walk.flow.tree
    ends = _ends(walk, tree)
    if not walk.complete or not tree:
        return  # a broken step has its own issue; guessing about the ending would mislead
    if not ends:
        last = tree[-1]
        walk.issues.append(Issue(last.file, last.line, last.where,
                                 "the flow can finish without an outcome: the last step must "
                                 "be an end without when:, or an if: whose then: and else: "
                                 "both end, so every run has an outcome"))


def _ends(walk: Walk, nodes: tuple[Node, ...]) -> bool:
    """Whether this block ends the run on every path through it (reporting what follows
    such a step as unreachable)."""
    for position, node in enumerate(nodes):
        if _node_ends(walk, node):
            after = nodes[position + 1] if position + 1 < len(nodes) else None
            if after is not None and not (isinstance(after, StepNode)
                                          and after.index not in walk.by_index):
                walk.issues.append(Issue(after.file, after.line, after.where,
                                         f"unreachable: {node.where} (line {node.line}) "
                                         "always ends the run"))
            return True
    return False


def _node_ends(walk: Walk, node: Node) -> bool:
    match node:
        case StepNode(index=index):
            step = walk.by_index.get(index)
            return isinstance(step, EndStep) and step.own_when is None
        case UseNode(body=body):
            return _ends(walk, body)
        case BranchNode(then=then, otherwise=otherwise):
            then_ends = _ends(walk, then)
            return _ends(walk, otherwise) and then_ends if otherwise is not None else False
    return False


def _collect_branches(nodes: tuple[Node, ...], found: dict[int, list[BranchNode]]) -> None:
    for node in nodes:
        if isinstance(node, UseNode):
            _collect_branches(node.body, found)
        elif isinstance(node, BranchNode):
            first = _first_index(node.then)
            if first is not None:
                found.setdefault(first, []).append(node)
            _collect_branches(node.then, found)
            _collect_branches(node.otherwise or (), found)


def _first_index(nodes: tuple[Node, ...]) -> int | None:
    for node in nodes:
        if isinstance(node, StepNode):
            return node.index
        inner = _first_index(node.body if isinstance(node, UseNode) else node.then)
        if inner is not None:
            return inner
    return None
