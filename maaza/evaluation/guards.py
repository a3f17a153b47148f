"""The guards of a run's answers (issue 34), each counted with the answers it was found in so a reader can check it:
strings left empty or padded with whitespace where the expected value is not, and values the checks dropped although
the text states them verbatim.

Usage: ``guards = count_guards(run, split_examples("test", Path("edgejson_dataset"), run.dataset.sha256))``;
``guards.stated_drops.count``, ``guards.stated_drops.ids``
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgejson.answer import Rejected, loads, read_answer
from maaza.checks.paths import Path as AnswerPath
from maaza.checks.paths import dotted, item, leaves, without
from maaza.evaluation.examples import TEXT_FIELDS
from maaza.evaluation.results import Run

MISSING = object()  # no expected value at an answer's path


class GuardsError(ValueError):
    """A run whose guards cannot be counted: its split unreadable, changed since the run, or lacking its examples."""


@dataclass(frozen=True)
class Found:
    """What one guard found: each ``(example id, dotted answer path)``, in the run's order."""

    hits: tuple[tuple[str, str], ...] = ()

    @property
    def count(self) -> int:
        """How many strings or values the guard found."""
        return len(self.hits)

    @property
    def ids(self) -> list[str]:
        """The examples they are in, each once, in the run's order."""
        return list(dict.fromkeys(example_id for example_id, _ in self.hits))


@dataclass(frozen=True)
class Guards:
    """The guards of one run: ``empty_strings``, ``padded_strings`` and ``stated_drops`` (see :func:`count_guards`)."""

    empty_strings: Found
    padded_strings: Found
    stated_drops: Found


def split_examples(split: str, dataset_dir: Path, sha256: str | None = None) -> dict[str, dict[str, Any]]:
    """The examples of the EdgeJSON split ``dataset_dir/data/<split>.jsonl`` by id, each its ``text`` and ``expected``
    object as ``edgejson-eval`` reads them (schemas are not read); ``GuardsError`` saying why not, a file whose bytes
    are not ``sha256`` (those a run scored, when given) included.

    Usage: ``examples = split_examples(run.dataset.split, Path("edgejson_dataset"), run.dataset.sha256)``"""
    path = Path(dataset_dir) / "data" / f"{split}.jsonl"
    try:
        data = path.read_bytes()
        rows = [loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    except OSError as err:
        raise GuardsError(f"{path}: cannot be read ({err.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError, Rejected) as err:
        raise GuardsError(f"{path}: not JSON lines the metric reads ({err})") from None
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise GuardsError(f"{path} is not the split the run scored (its sha256 differs)")
    examples = {}
    for number, row in enumerate(rows):
        text = next((row[field] for field in TEXT_FIELDS if isinstance(row, dict) and row.get(field)), None)
        expected = row.get("expected_output") if isinstance(text, str) else None
        try:
            expected = loads(expected) if isinstance(expected, str) else expected
        except (json.JSONDecodeError, Rejected):
            expected = None
        if not isinstance(expected, dict):
            raise GuardsError(f"{path}: row {number} has no text and expected object")
        examples[row.get("id") or f"{number}"] = {"text": text, "expected": expected}
    return examples


def count_guards(run: Run, examples: Mapping[str, Mapping[str, Any]]) -> Guards:
    """The guards of ``run``'s answers, given the examples of its split by id (``text``, ``expected``):

    - ``empty_strings``: string leaves of the parsed answer that are empty or whitespace only where the expected value
      at the same path is a string with something besides whitespace;
    - ``padded_strings``: the other string leaves that start or end with whitespace, unless the expected value at the
      same path is a string that does too;
    - ``stated_drops``: dropped paths whose value in the raw output the text states verbatim (:func:`stated`).

    ``GuardsError`` when an example of the run is not among ``examples``.

    Usage: ``count_guards(run, examples).empty_strings.ids`` -> ``["test-invoice-0003"]``"""
    empty, padded, drops = [], [], []
    for example in run.examples:
        row = examples.get(example["id"])
        if row is None:
            raise GuardsError(f"{run.path or 'the run'}: example {example['id']} is not in its split")
        parsed = example.get("parsed")
        for path, value, _ in leaves(parsed, None) if isinstance(parsed, dict) else ():
            if isinstance(value, str):
                expected = _at(row["expected"], path)
                if not value.strip():
                    if isinstance(expected, str) and expected.strip():
                        empty.append((example["id"], dotted(path)))
                elif value != value.strip() and not (isinstance(expected, str) and expected != expected.strip()):
                    padded.append((example["id"], dotted(path)))
        drops += [(example["id"], name) for name, value in dropped_values(example) if stated(value, row["text"])]
    return Guards(Found(tuple(empty)), Found(tuple(padded)), Found(tuple(drops)))


def dropped_values(example: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Each dropped path of a results file's example with its value in the raw output, read as the metric reads an
    answer; the drops are replayed in their order, each path naming a part of the answer left by those before it
    (as the checks drop them). A path the answer lacks is left out."""
    answer = read_answer(example.get("raw_output") or "").value
    found = []
    for name in example.get("dropped") or ():
        paths = {dotted(path): path for path in _paths(answer)}
        if name in paths:
            found.append((name, item(answer, paths[name])))
            answer = without(answer, paths[name])
    return found


def stated(value: Any, text: str) -> bool:
    """Whether ``text`` states ``value`` verbatim: a string that is not empty or whitespace only as a substring (case
    counts); a number, true or false as its JSON text (``7.5``, ``true``) with no letter, digit or ``_`` either side,
    nor part of a longer decimal number; an object or array when it holds a scalar and the text states each of its
    scalars. Null is never stated."""
    if isinstance(value, str):
        return bool(value.strip()) and value in text
    if isinstance(value, dict | list):
        scalars = [leaf for _, leaf, _ in leaves(value, None)]
        return bool(scalars) and all(stated(leaf, text) for leaf in scalars)
    if value is None:
        return False
    return re.search(rf"(?<!\w)(?<!\d\.){re.escape(json.dumps(value))}(?!\w)(?!\.\d)", text) is not None


def _at(value: Any, path: AnswerPath) -> Any:
    """The value at ``path`` in ``value``, else :data:`MISSING`."""
    for step in path:
        if isinstance(value, dict) and isinstance(step, str) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return MISSING
    return value


def _paths(value: Any, at: AnswerPath = ()) -> Iterator[AnswerPath]:
    """The path of every key and array item in ``value``, outermost first."""
    steps = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for step, inner in steps:
        yield (*at, step)
        yield from _paths(inner, (*at, step))
