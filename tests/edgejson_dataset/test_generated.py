"""The ``generated`` config through ``load_dataset``: many distinct training-only schemas, none close to a held-out
one, values varied as widely as the keys, and the refusal of a schema too close to a held-out one."""

import json
import re
from collections import Counter

import pytest
from datasets import load_dataset
from jsonschema import Draft202012Validator

from edgejson.schemas import load_schema, schema_ids
from edgejson_dataset.build import DATASET_DIR
from edgejson_dataset.synth import TOO_CLOSE, check_unseen, closeness
from edgejson_dataset.validate import BuildError


@pytest.fixture(scope="module")
def generated():
    return load_dataset(str(DATASET_DIR), "generated")


def _leaves(value, schema):
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _leaves(sub, schema["properties"][key])
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, schema["items"])
    else:
        yield value, schema


def test_train_holds_hundreds_of_distinct_schemas_and_validation_its_own(generated):
    train_schemas = {row["schema_id"]: row["schema"] for row in generated["train"]}
    assert len(train_schemas) >= 300 and len(set(train_schemas.values())) == len(train_schemas)
    assert not set(train_schemas) & set(generated["validation"]["schema_id"])
    assert set(generated["train"]["complexity"]) == {"simple", "medium", "complex"}


def test_every_answer_validates_and_no_schema_is_close_to_a_held_out_one(generated):
    held = [load_schema(h) for h in schema_ids(held_out=True)]
    for split in generated:
        for schema_id, text in {r["schema_id"]: r["schema"] for r in generated[split]}.items():
            schema = json.loads(text)
            assert max(closeness(schema, h) for h in held) < TOO_CLOSE, schema_id
            check_unseen(schema, schema_id, schema["title"])
        for row in generated[split]:
            Draft202012Validator(json.loads(row["schema"])).validate(json.loads(row["expected_output"]))


def test_no_generated_text_is_in_a_default_split(generated):
    default = load_dataset(str(DATASET_DIR))
    texts = {t for split in default for t in default[split]["text"]}
    assert not texts & {t for split in generated for t in generated[split]["text"]}


def test_values_vary_in_era_format_and_punctuation(generated):
    dates, stamps, sentences, absent = [], [], 0, 0
    for row in generated["train"]:
        schema, expected = json.loads(row["schema"]), json.loads(row["expected_output"])
        absent += len(set(schema["properties"]) - set(expected))
        for value, sub in _leaves(expected, schema):
            if sub.get("format") == "date":
                dates.append(value)
            elif sub.get("format") == "date-time":
                stamps.append(value)
            elif isinstance(value, str) and " " in value and value[-1] in ".!?":
                sentences += 1
    decades = Counter(d[:3] for d in dates)
    assert decades["202"] / len(dates) < 0.5 and len(decades) >= 10  # dates from many eras, not mostly 202x
    assert any("." in s[19:] for s in stamps) and any(not re.search(r"\.\d", s) for s in stamps)
    assert any(s.endswith("Z") for s in stamps) and any(re.search(r"[+-]\d\d:\d\d$", s) for s in stamps)
    assert sentences >= 500 and absent >= 1000  # sentences keep their punctuation; optional keys left out


def test_a_schema_too_close_to_a_held_out_one_fails_the_build():
    held = load_schema(schema_ids(held_out=True)[0])

    def camel(schema):
        out = dict(schema)
        if "properties" in schema:
            out["properties"] = {
                re.sub(r"_(\w)", lambda m: m[1].upper(), k): camel(v) for k, v in schema["properties"].items()
            }
        return out

    with pytest.raises(BuildError, match=r"gen_9999: /: .*too close.*Jaccard 1\.00"):
        check_unseen(camel(held), "gen_9999", "inventory")
    with pytest.raises(BuildError, match="held-out topic"):
        check_unseen({"type": "object", "properties": {"zz": {"type": "string"}}}, "gen_9998", "Weather report")
    check_unseen({"type": "object", "properties": {"zz": {"type": "string"}}}, "gen_9997", "inventory")


def _item_shapes(schema):
    """The shapes array items of ``schema`` hold beyond leaves: "object" and "array" (of objects)."""
    for sub in schema["properties"].values():
        if sub.get("type") == "object":
            yield from _item_shapes(sub)
        elif sub.get("type") == "array" and sub["items"].get("type") == "object":
            for inner in sub["items"]["properties"].values():
                if inner.get("type") == "object" or (inner.get("type") == "array" and "properties" in inner["items"]):
                    yield inner["type"]


def test_the_nested_config_holds_array_items_with_objects_and_arrays(generated):
    nested = load_dataset(str(DATASET_DIR), "nested")
    held = [load_schema(h) for h in schema_ids(held_out=True)]
    shapes = Counter()
    for split in nested:
        schemas = {r["schema_id"]: json.loads(r["schema"]) for r in nested[split]}
        for schema_id, schema in schemas.items():
            found = set(_item_shapes(schema))
            assert found, f"{schema_id}: no array item holds an object or an array"
            shapes.update(found)
            assert max(closeness(schema, h) for h in held) < TOO_CLOSE, schema_id
        for row in nested[split]:
            Draft202012Validator(json.loads(row["schema"])).validate(json.loads(row["expected_output"]))
    assert len({r["schema_id"] for r in nested["train"]}) >= 100 and set(nested["train"]["complexity"]) == {"complex"}
    assert shapes["object"] >= 50 and shapes["array"] >= 50  # both shapes, many times each
    assert not {t for s in nested for t in nested[s]["text"]} & {t for s in generated for t in generated[s]["text"]}
    assert not any(
        shape for s in generated for text in set(generated[s]["schema"]) for shape in _item_shapes(json.loads(text))
    )
