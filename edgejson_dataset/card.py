"""The dataset card (``edgejson_dataset/README.md``): Hub YAML plus a datasheet whose numbers come from the rows.

Usage: ``text = make_card(rows, seed)``
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from statistics import mean, median
from typing import Any

from huggingface_hub import DatasetCard, DatasetCardData

import edgejson
from edgejson.schemas import BANDS, complexity_of, schema_ids
from edgejson_dataset.styles import ALL_STYLES, HELD_OUT_STYLES
from edgejson_dataset.surface import forms
from edgejson_dataset.synth import TOO_CLOSE
from edgejson_dataset.values import LOCALES

FEATURES = ("id", "schema_id", "complexity", "style", "text", "schema", "expected_output")
BAND_RULES = {
    "simple": "2-5 flat fields (a list of strings at most)",
    "medium": "5-12 leaves, objects nested 1-2 levels, at most one short array of objects",
    "complex": "arrays of objects, 3+ levels of nesting, 12+ leaves, derived totals and counts",
}
STYLE_NOTES = {
    "label_value": '"Label: value" lines, as in EdgeJSON v3; objects as indented blocks or prefixed labels',
    "prose": "a short report in sentences, fields in random order",
    "message": "an email or chat message with greeting, body and sign-off",
    "log": "key=value log lines, one line per array item",
    "table": "bullet list plus a Markdown table per array of objects",
    "outline": "`train` only: indented label blocks, an object's fields under its label, lists one item a line",
    "dotted": "`test_styles` only: one `key.path[0].leaf = value` line a value",
    "csv": "`test_styles` only: a two-column (field, value) export from a spreadsheet",
    "html": "`test_styles` only: an HTML definition list or table, nested as the object nests",
    "chat": "`test_styles` only: a transcript of several turns, one person reading the record out to another",
    "note": "`test_styles` only: a long note, facts in the reverse of the schema's order among many asides",
}


def _leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    return 1


def _string_bytes(rows: list[dict[str, Any]]) -> int:
    """UTF-8 bytes of the string values: the data an Arrow table of the split holds (offsets not counted)."""
    return sum(len(value.encode("utf-8")) for row in rows for value in row.values())


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _length_row(name: str, rows: list[dict[str, Any]]) -> list[Any]:
    text = [len(r["text"]) for r in rows]
    out = [len(r["expected_output"]) for r in rows]
    leaves = [_leaves(json.loads(r["expected_output"])) for r in rows]
    return [
        name,
        len(rows),
        round(mean(text)),
        int(median(text)),
        max(text),
        round(mean(out)),
        max(out),
        f"{mean(leaves):.1f}",
    ]


def statistics(rows: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Markdown tables computed from the rows: splits, bands, styles, schemas."""
    every = [r for split_rows in rows.values() for r in split_rows]
    header = ["", "rows", "text chars (mean)", "text chars (median)", "text chars (max)", "JSON chars (mean)"]
    header += ["JSON chars (max)", "leaves (mean)"]
    by_band = [_length_row(band, [r for r in every if r["complexity"] == band]) for band in BANDS]
    by_style = [_length_row(style, [r for r in every if r["style"] == style]) for style in ALL_STYLES]
    split_rows = []
    for split, srows in rows.items():
        bands = Counter(r["complexity"] for r in srows)
        styles = Counter(r["style"] for r in srows)
        split_rows.append(
            [split, len(srows), len({r["schema_id"] for r in srows})]
            + [bands[b] for b in BANDS]
            + [styles[s] for s in ALL_STYLES]
        )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for split, srows in rows.items():
        for r in srows:
            counts[r["schema_id"]][split] += 1
    held = set(schema_ids(held_out=True))
    schema_rows = []
    for sid in schema_ids():
        srows = [r for r in every if r["schema_id"] == sid]
        leaves = [_leaves(json.loads(r["expected_output"])) for r in srows]
        schema_rows.append(
            [f"`{sid}`", complexity_of(sid), "held out" if sid in held else "seen"]
            + [counts[sid][split] for split in rows]
            + [f"{mean(leaves):.1f}", round(mean(len(r["text"]) for r in srows))]
        )
    return {
        "splits": _table(["split", "rows", "schemas", *BANDS, *ALL_STYLES], split_rows),
        "bands": _table(header, by_band),
        "styles": _table(header, by_style),
        "schemas": _table(["schema", "band", "use", *rows, "leaves (mean)", "text chars (mean)"], schema_rows),
    }


def _normalisation() -> str:
    examples = [
        ("date", "2024-03-07", {"type": "string", "format": "date"}, {}),
        ("date-time (UTC, minutes)", "2024-03-07T14:05:00Z", {"type": "string", "format": "date-time"}, {}),
        ("money (2 decimals)", 1234.5, {"type": "number"}, {"decimals": 2}),
        ("integer", 3, {"type": "integer"}, {}),
        ("large integer", 12500, {"type": "integer"}, {}),
        ("enum with underscore", "in_progress", {"type": "string", "enum": ["in_progress"]}, {}),
    ]
    rows = [
        [kind, f"`{json.dumps(value)}`", " / ".join(f"`{f}`" for f in forms(value, schema, fs))]
        for kind, value, schema, fs in examples
    ]
    return _table(["JSON value", "in expected_output", "forms the text may use"], rows)


BODY = """
# EdgeJSON

EdgeJSON is a benchmark and training set for **extracting JSON from text against a JSON Schema** with small models.
Each row pairs a short text (a record, a report, an email, a log line or a table) with a JSON Schema and the one
JSON object that the text states. It continues EdgeJSON v3 with {n_schemas} schemas in three complexity bands, five
surface styles, a split of schemas no model trains on, a split of text styles no model trains on, and validation of
every answer against its schema.
This is version {version}, part of the EdgeJSON + Maaza release {version} (see its CHANGELOG).

## Use

```python
from datasets import load_dataset
from edgejson import build_prompt  # the canonical prompt, from this repository

ds = load_dataset("edgejson_dataset")  # from a clone of the repository (or the Hub id)
row = ds["test"][0]
messages = build_prompt(row)  # system + user message carrying a typed template of row["schema"]
answer = row["expected_output"]  # compact JSON, keys in schema order
```

The prompt puts a compact typed template of the schema in front of the text, so any model can be evaluated zero-shot
and on schemas it never saw. Training, evaluation and the demo all build prompts with that one function.

## Splits

{splits}

`test_unseen` holds only the {n_held} held-out schemas ({held}); they never appear in `train` or `validation`.
`test_styles` holds new rows of the seen schemas, values drawn as for `test`, written only in the {n_held_styles}
held-out styles ({held_styles}); no other split or config uses them (the build fails if one does). It measures reading
texts shaped unlike anything in training, which `test` cannot. `train` rows (of every config) also take the `outline`
style, and their values are widened: by chance a free-form string holds arbitrary words or several sentences, and a
date-time is written without its zone, with 0 to 9 fraction digits (`2005-07-03T17:42:53.545351`), as software
prints it.
No text appears in two splits, and every seen schema has at least {min_test} examples in `test`.

## Schemas and bands

{bands_rules}

{schemas}

Every property has a description; required and optional fields are deliberate; enums, `date` and `date-time`
formats, integers and numbers are used where real data has them. The schemas are in `schemas/<band>/<id>.json`.

## Statistics

By band (all splits):

{stats_bands}

By style:

{stats_styles}

Lengths are in characters; "leaves" counts the scalar values of an expected output.

## Missing-field policy

An optional field that the text does not state is **absent** from `expected_output` (never `null`). Required fields
are always stated. Models are scored on the keys they produce, so an invented value for an absent field counts
against them.

## How it was made

A seeded builder (`python -m edgejson_dataset build`, seed {seed}) fills each schema with values from Faker in
{n_locales} locales (names, companies, cities, streets, postcodes, phone numbers, IBANs) and small curated pools
(products, diagnoses with ICD-10 codes, airport codes, log messages), following a declarative spec per schema in
`specs/<id>.yaml`.
Derived fields are computed, not drawn: invoice tax and totals, cart subtotals, average order value, conversion rates,
package counts and total weights, headcounts, contribution totals. The same spec phrases each field, so one generic
renderer per style writes the text: field order is shuffled, optional fields are sometimes left out, and distractor
sentences or lines that carry no field are mixed in. The text never contains the JSON.

Styles:

{styles}

Every build validates every row and fails, naming the example id and JSON path, when:
- the expected output does not validate against its schema (jsonschema, Draft 2020-12, formats checked as above);
- a value of the expected output is not stated in the text, in one of the forms below;
- the text contains JSON, an id repeats, a text appears in two splits, or a row's style is not one of its split's.

The same seed and library versions rebuild byte-identical files (checked by the tests).

### Normalisation between text and JSON

Strings appear verbatim. Other values may take these forms in the text (case-insensitive for enums):

{normalisation}

Integers up to ten may be written as words in prose (not years, scores or codes); booleans are stated by a phrase
from the schema's spec ("in stock", "sold out", "remote work is possible"; true/false in logs). Date-times of the
evaluation splits are UTC with minute precision; `train` also holds date-times without a zone, which `format:
date-time` accepts here as ISO 8601 does (`edgejson/formats.py`: no zone or any, 0 to 9 fraction digits, `T` or a
space).

## Intended use

Measuring and training small (edge) models that turn text into schema-valid JSON: zero-shot with the schema template,
fine-tuned on `train`, and on unseen schemas with `test_unseen`. The repository's `evaluate` metric
(`metrics/edgejson`) scores predictions against `expected_output`.

## Limitations

- The data is synthetic: texts come from templates, so they are cleaner and more regular than real documents, and
  a model that does well here may still fail on messy input. Names and places are Faker's, some of them invented.
- English only, though names, streets and companies come from {n_locales} locales.
- Texts are short by design (edge models, small training budgets): long documents are not covered.
- Values are stated explicitly; the benchmark does not test inference, unit conversion or arithmetic.
- Rebuilding gives identical files only with the same Faker version.

## Differences from EdgeJSON v3

| | EdgeJSON v3 | this release |
|---|---|---|
| rows | 787 (629 train / 158 test) | {n_rows} ({sizes}) |
| schemas | 24-25, all seen in training | {n_seen} seen + {n_held} held out |
| schema in the prompt | no | yes, as a typed template |
| surface styles | label/value and teacher-model prose | 5 from one seeded builder (+1 in `train`, 5 held out) |
| complexity label | missing on part of the test set | on every row |
| validation | arithmetic checks | JSON Schema validation, value-in-text check, split overlap check |
| missing fields | unspecified | absent key, never null |
| complex answers | 18 of 25 test answers > 512 tokens | at most {max_complex} characters of compact JSON |
| format | not on the Hub | JSONL files + this card (`configs:`), no loading script |

## Citation

```bibtex
@misc{{edgejson2025,
  title  = {{EdgeJSON: a benchmark for schema-guided JSON extraction with small models}},
  author = {{EdgeJSON + Maaza contributors}},
  year   = {{2025}},
  note   = {{Dataset card and builder in the edgejson-maaza repository}}
}}
```

## License

Apache-2.0.
"""


def _generated_section(config: str, generated: dict[str, list[dict[str, Any]]]) -> str:
    """What a generated config holds, numbers from its rows."""
    table = _table(
        ["split", "rows", "schemas", *BANDS],
        [
            [split, len(srows), len({r["schema_id"] for r in srows})]
            + [sum(r["complexity"] == band for r in srows) for band in BANDS]
            for split, srows in generated.items()
        ],
    )
    return SECTIONS[config].format(table=table, too_close=TOO_CLOSE, n_seen=len(schema_ids(held_out=False)))


SECTIONS = {
    "generated": """
## Config `generated`: training-only schemas

```python
gen = load_dataset("edgejson_dataset", "generated")  # train and validation, each with schemas of its own
```

{table}

These schemas are composed by the builder from a library of typed fields (names, emails, phones, ids of many shapes,
dates from 1900 on written in many ways, timestamps with and without fractions or offsets, money and counts of many
magnitudes, enums, booleans, sentences with their punctuation, tags, nested objects, arrays of objects), with key
names varied by synonym, case (snake or camel), order and which keys are optional. They exist so that a model learns
to read the template instead of memorising the {n_seen} seen schemas. None is *too close* to a held-out schema: a
generated schema is refused when the Jaccard similarity of its leaf-key set with a held-out schema's (keys
lower-cased, camel case split, words joined by `_`) reaches {too_close}, or when its topic is a held-out topic. The
`default` config's splits are unchanged by this config: v0.1 and later numbers compare.
""",
    "nested": """
## Config `nested`: array items that hold objects and arrays

```python
nested = load_dataset("edgejson_dataset", "nested")  # train and validation, each with schemas of its own
```

{table}

Complex schemas composed by the same builder and held to the same *too close* rule, whose array items hold a nested
object (a place, a person, details), an array of objects of their own, or both: a delivery's parcels, each with its
recipient and its scans. The `generated` config has no such schema, and of the seen schemas only
`nested_organization` has items that hold an array of objects, so a model trained on them rarely sees one; every key
of an item's nested object is required (the item's phrasing names them all), and each array holds 1 to 3 items. The
other configs' files are unchanged by this one.
""",
}


def make_card(
    rows: dict[str, list[dict[str, Any]]],
    seed: int,
    generated: dict[str, dict[str, list[dict[str, Any]]]] | None = None,
) -> str:
    """The card text: YAML metadata (configs, features, split sizes) and the datasheet, numbers from ``rows`` and
    each generated config's rows."""
    data = DatasetCardData(
        pretty_name="EdgeJSON",
        license="apache-2.0",
        language=["en"],
        task_categories=["text-generation"],
        size_categories=["1K<n<10K"],
        tags=["json", "structured-output", "information-extraction", "json-schema", "synthetic", "edge"],
        configs=[
            {
                "config_name": "default",
                "data_files": [{"split": split, "path": f"data/{split}.jsonl"} for split in rows],
            },
            *(
                {"config_name": name, "data_files": [{"split": s, "path": f"data/{name}/{s}.jsonl"} for s in splits]}
                for name, splits in (generated or {}).items()
            ),
        ],
        dataset_info={
            "features": [{"name": name, "dtype": "string"} for name in FEATURES],
            "splits": [
                {"name": split, "num_bytes": _string_bytes(split_rows), "num_examples": len(split_rows)}
                for split, split_rows in rows.items()
            ],
        },
    )
    stats = statistics(rows)
    every = [r for split_rows in rows.values() for r in split_rows]
    held = schema_ids(held_out=True)
    test_counts = Counter(r["schema_id"] for r in rows.get("test", []))
    body = BODY.format(
        version=edgejson.__version__,
        n_schemas=len(schema_ids()),
        n_seen=len(schema_ids(held_out=False)),
        n_held=len(held),
        held=", ".join(f"`{h}`" for h in held),
        n_held_styles=len(HELD_OUT_STYLES),
        held_styles=", ".join(f"`{style}`" for style in HELD_OUT_STYLES),
        min_test=min(test_counts.values()) if test_counts else 0,
        splits=stats["splits"],
        bands_rules=_table(["band", "shape"], [[band, rule] for band, rule in BAND_RULES.items()]),
        schemas=stats["schemas"],
        stats_bands=stats["bands"],
        stats_styles=stats["styles"],
        styles="\n".join(f"- `{style}`: {note}" for style, note in STYLE_NOTES.items()),
        normalisation=_normalisation(),
        seed=seed,
        n_locales=len(LOCALES),
        n_rows=len(every),
        sizes=" / ".join(f"{len(r)} {s}" for s, r in rows.items()),
        max_complex=max(len(r["expected_output"]) for r in every if r["complexity"] == "complex"),
    )
    for config, config_rows in (generated or {}).items():
        body += _generated_section(config, config_rows)
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n{body}"))
