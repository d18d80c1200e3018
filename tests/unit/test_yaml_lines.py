"""The line-keeping YAML loader."""

from __future__ import annotations

import pytest

from runner.language.yaml_lines import FlowError, LineDict, LineList, LineStr, line_of, load, loads

DOC = """\
name: x
steps:
  - id: a
    with: {b: 1, c: "${x}"}

  - id: b
    action: q
"""


def test_mappings_sequences_and_strings_carry_lines():
    doc = loads(DOC, "f.yaml")
    assert isinstance(doc, LineDict) and doc.line == 1
    assert doc.key_lines == {"name": 1, "steps": 2}
    steps = doc["steps"]
    assert isinstance(steps, LineList) and steps.item_lines == [3, 6]
    assert steps[1].line_of("action") == 7
    assert steps[0]["with"].line == 4
    assert isinstance(doc["name"], LineStr) and doc["name"].line == 1
    assert line_of(steps[0]["with"]["b"], default=99) == 99  # ints carry no line


def test_values_stay_plain_data():
    doc = loads(DOC)
    assert doc == {"name": "x", "steps": [{"id": "a", "with": {"b": 1, "c": "${x}"}},
                                          {"id": "b", "action": "q"}]}


def test_line_of_missing_key_is_the_mapping_line():
    assert loads("a: 1\nb:\n  c: 2\n")["b"].line_of("zzz") == 3


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("a: 1\nb: c: d\n", 2, "mapping values are not allowed here: 'b: c: d'"),
    ("a: 1\na: 2\n", 2, "found duplicate key 'a' (first on line 1): 'a: 2'"),
    ("a:\n  - x\n - y\n", 3, "expected <block end>, but found '<block sequence start>': '- y'"),
    ("a: 'unterminated\n", 2, "found unexpected end of stream"),
])
def test_malformed_yaml_names_file_line_and_snippet(text, line, problem):
    with pytest.raises(FlowError) as caught:
        loads(text, "flows/x.yaml")
    assert caught.value.code == "flow_yaml_invalid"
    assert str(caught.value).startswith(f"flows/x.yaml:{line}: {problem}")
    assert [i.line for i in caught.value.issues] == [line]


def test_only_safe_tags():
    with pytest.raises(FlowError, match="could not determine a constructor"):
        loads("a: !!python/object/apply:os.system ['true']\n")


def test_empty_document_is_none():
    assert loads("") is None


def test_load_reads_a_file(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("a: [1, 2]\n")
    assert load(path)["a"].line == 1
    with pytest.raises(FlowError) as caught:
        load(tmp_path / "missing.yaml")
    assert caught.value.code == "flow_not_found"
