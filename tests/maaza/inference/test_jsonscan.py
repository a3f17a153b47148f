"""The scanner that stops generation once the answer is complete: where the one answer reader reads an object."""

import pytest

from edgejson.answer import read_answer
from maaza.inference.jsonscan import ObjectScanner


def _fed(chunks: list[str]) -> list[bool]:
    scanner = ObjectScanner()
    return [scanner.feed(chunk) for chunk in chunks]


def test_completes_on_the_closing_brace_across_chunks():
    chunks = ['Here: {"na', 'me": "x}', '"', ', "n": {"k": 1}', "}", ' and "more" {}']
    assert _fed(chunks) == [False, False, False, False, True, True]


@pytest.mark.parametrize(
    ("chunks", "stops_after"),
    [
        (["Use {name", "} here: ", '{"a":', " 1}"], 3),  # braces in prose do not stop it
        (['{"a": NaN}', ' then {"a": 1', "}"], 2),  # nor a rejected candidate
        (['{"a": 1, "a": 2}', ' {"a": 3}'], 1),  # nor one with a key twice
        (['```json\n{"a": "}', '"}'], 1),
    ],
)
def test_stops_where_the_answer_reader_first_reads_an_object(chunks, stops_after):
    done = _fed(chunks)
    assert done.index(True) == stops_after
    assert read_answer("".join(chunks[: stops_after + 1])).value is not None
    assert read_answer("".join(chunks[:stops_after])).value is None
