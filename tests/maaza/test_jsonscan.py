"""The brace scanner that decides when a generated JSON object is complete."""

import pytest

from maaza.jsonscan import ObjectScanner, find_object, parse_object


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('{"a": 1} trailing', '{"a": 1}'),
        ('Sure! ```json\n{"a": {"b": [1, {"c": 2}]}}\n```', '{"a": {"b": [1, {"c": 2}]}}'),
        ('{"a": "a } brace", "b": "{"}', '{"a": "a } brace", "b": "{"}'),
        ('{"a": "quote \\" then }"}', '{"a": "quote \\" then }"}'),
        ('{"a": "backslash \\\\"} after', '{"a": "backslash \\\\"}'),
        ('{"a": 1', None),
        ("no object here", None),
    ],
)
def test_find_object(text, found):
    assert find_object(text) == found


def test_scanner_completes_on_the_closing_brace_across_chunks():
    scanner = ObjectScanner()
    chunks = ['Here: {"na', 'me": "x}', '"', ', "n": {"k": 1}', "}", ' and "more" {}']
    done = [scanner.feed(chunk) for chunk in chunks]
    assert done == [False, False, False, False, True, True]
    text = "".join(chunks)
    assert text[scanner.start : scanner.end] == '{"name": "x}", "n": {"k": 1}}'


def test_parse_object():
    assert parse_object('```json\n{"a": [1, 2]}\n```') == {"a": [1, 2]}
    assert parse_object('{"a": 1,}') is None  # complete but not JSON
    assert parse_object('{"a": ') is None  # cut short
