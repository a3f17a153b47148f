"""The guards of a run's answers (``maaza.evaluation.guards``): empty and padded strings where the expected value is
neither, and dropped values the text states verbatim, each counted with the answers it was found in."""

import hashlib
import json

import pytest

from maaza.evaluation.guards import GuardsError, count_guards, split_examples
from maaza.evaluation.results import DataInfo, ModelInfo, Run

ROWS = [
    {
        "id": "row-a",
        "text": "Ada Diaz lives in Oslo. Order 42 shipped.",
        "expected_output": json.dumps({"name": "Ada Diaz", "city": "Oslo", "order": 42}),
    },
    {
        "id": "row-b",
        "text": "Grace Hopper, Lima.",
        "expected_output": json.dumps({"name": "Grace Hopper", "city": "Lima", "tags": ["  indented", ""]}),
    },
]


@pytest.fixture
def dataset(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "test.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return tmp_path


def _run(dataset, *examples):
    sha256 = hashlib.sha256((dataset / "data" / "test.jsonl").read_bytes()).hexdigest()
    return Run(
        model=ModelInfo("tiny", 1),
        dataset=DataInfo("test", len(examples), sha256=sha256),
        decoding={"constrained": True, "value_check": True},
        scores={},
        examples=list(examples),
    )


def _example(example_id, raw, dropped, parsed):
    return {"id": example_id, "raw_output": json.dumps(raw), "dropped": dropped, "repaired": [], "parsed": parsed}


def _guards(dataset, run):
    return count_guards(run, split_examples("test", dataset, run.dataset.sha256))


def test_each_guard_counts_what_it_finds_with_its_answer(dataset):
    """An empty name where Ada Diaz is expected (row-a), a padded name (row-b), and the order number 42, which the
    text states, dropped (row-a); the note the text never states, dropped too, is no stated drop."""
    empty = {"name": "", "city": "Oslo", "order": 42}
    padded = {"name": " Grace Hopper", "city": "Lima", "note": "ships Friday"}
    run = _run(
        dataset,
        _example("row-a", empty, ["order"], {"name": "", "city": "Oslo"}),
        _example("row-b", padded, ["note"], {"name": " Grace Hopper", "city": "Lima"}),
    )
    guards = _guards(dataset, run)
    assert guards.empty_strings.count == 1 and guards.empty_strings.ids == ["row-a"]
    assert guards.empty_strings.hits == (("row-a", "name"),)
    assert guards.padded_strings.count == 1 and guards.padded_strings.hits == (("row-b", "name"),)
    assert guards.stated_drops.count == 1 and guards.stated_drops.hits == (("row-a", "order"),)


def test_nothing_is_counted_where_the_answers_keep_to_the_rules(dataset):
    """Strings empty or padded as the expected ones are, and drops the text does not state verbatim: 4 is no whole
    token of 42, "oslo" not the text's "Oslo", null never stated; a failed answer holds nothing."""
    raw = {"name": "Ada Diaz", "city": "Oslo", "order": 42, "fee": 4, "alias": "oslo", "code": None}
    run = _run(
        dataset,
        _example("row-a", raw, ["fee", "alias", "code"], {"name": "Ada Diaz", "city": "Oslo", "order": 42}),
        _example("row-b", {}, [], {"name": "Grace Hopper", "city": "Lima", "tags": ["  indented", ""]}),
        {"id": "row-b", "raw_output": "{", "parsed": None},
    )
    guards = _guards(dataset, run)
    assert (guards.empty_strings.count, guards.padded_strings.count, guards.stated_drops.count) == (0, 0, 0)
    assert guards.empty_strings.ids == guards.padded_strings.ids == guards.stated_drops.ids == []


def test_drops_are_read_in_order_from_the_answer_before_the_checks(dataset):
    """Each drop names a part of what the drops before it left: the second item, then the first."""
    raw = {"name": "Ada Diaz", "items": [{"city": "Oslo"}, {"city": "Paris"}, {"city": "Lima"}]}
    run = _run(dataset, _example("row-a", raw, ["items[1]", "items[1]"], {"name": "Ada Diaz", "items": [{}]}))
    # items[1] is Paris (not stated), then, Paris gone, Lima (not in row-a's text either): nothing
    assert _guards(dataset, run).stated_drops.count == 0
    run = _run(dataset, _example("row-a", raw, ["items[0]", "items[1]"], {"name": "Ada Diaz", "items": [{}]}))
    # items[0] is Oslo, stated; then items[1] is Lima, not stated
    assert _guards(dataset, run).stated_drops.hits == (("row-a", "items[0]"),)


def test_a_split_that_cannot_be_read_or_is_not_the_runs_says_why(dataset, tmp_path):
    run = _run(dataset, _example("row-c", {}, [], {}))
    with pytest.raises(GuardsError, match="no-such-split.jsonl: cannot be read"):
        split_examples("no-such-split", dataset)
    with pytest.raises(GuardsError, match="is not the split the run scored"):
        split_examples("test", dataset, "0" * 64)
    with pytest.raises(GuardsError, match="example row-c is not in its split"):
        _guards(dataset, run)
