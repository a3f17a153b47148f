"""The committed dataset through ``load_dataset``: splits, sizes, coverage, held-out styles, validity, prompt."""

import json
import re
from collections import Counter

from datasets import load_dataset
from jsonschema import Draft202012Validator

from edgejson import build_prompt, schema_template
from edgejson.formats import FORMAT_CHECKER
from edgejson.schemas import BANDS, complexity_of, schema_ids
from edgejson_dataset.build import DATASET_DIR, DEFAULT_SIZES, GENERATED_CONFIGS
from edgejson_dataset.styles import HELD_OUT_STYLES
from edgejson_dataset.surface import STYLES

COLUMNS = ["id", "schema_id", "complexity", "style", "text", "schema", "expected_output"]


def test_every_split_loads_with_its_row_count(dataset):
    assert {split: dataset[split].num_rows for split in dataset} == DEFAULT_SIZES
    for split in dataset:
        assert dataset[split].column_names == COLUMNS


def test_test_split_covers_every_seen_schema_band_and_style(dataset):
    test = dataset["test"]
    counts = Counter(test["schema_id"])
    assert set(counts) == set(schema_ids(held_out=False))
    assert min(counts.values()) >= 15
    assert set(test["complexity"]) == set(BANDS)
    assert set(test["style"]) == set(STYLES)


def test_held_out_schemas_only_in_test_unseen(dataset):
    held = set(schema_ids(held_out=True))
    assert len(held) >= 6 and {complexity_of(h) for h in held} == set(BANDS)
    assert set(dataset["test_unseen"]["schema_id"]) == held
    for split in ("train", "validation", "test", "test_styles"):
        assert not held & set(dataset[split]["schema_id"])


def test_test_styles_holds_seen_schemas_in_held_out_styles_only(dataset):
    test_styles = dataset["test_styles"]
    assert set(test_styles["schema_id"]) == set(schema_ids(held_out=False))
    assert Counter(test_styles["style"]) == {style: 60 for style in HELD_OUT_STYLES}
    assert set(test_styles["complexity"]) == set(BANDS)
    configs = [dataset] + [load_dataset(str(DATASET_DIR), config) for config in GENERATED_CONFIGS]
    for config in configs:
        for split in config:
            if split != "test_styles":
                assert not set(HELD_OUT_STYLES) & set(config[split]["style"]), split


def test_train_rows_are_widened_beyond_the_evaluation_splits(dataset):
    train = dataset["train"]
    assert Counter(train["style"])["outline"] >= 300
    naive = [row for row in train if re.search(r'T\d\d:\d\d:\d\d(\.\d+)?"', row["expected_output"])]
    sentences = [row for row in train if re.search(r'"[^"]+\. [A-Z][^"]*\.[^"]*"', row["expected_output"])]
    assert len(naive) >= 100 and len(sentences) >= 100
    for row in naive[:50]:
        Draft202012Validator(json.loads(row["schema"]), format_checker=FORMAT_CHECKER).validate(
            json.loads(row["expected_output"])
        )
    for split in ("validation", "test", "test_unseen", "test_styles"):
        assert not any(re.search(r'T\d\d:\d\d:\d\d(\.\d+)?"', out) for out in dataset[split]["expected_output"])


def test_no_text_or_id_in_two_splits(dataset):
    texts = [t for split in dataset for t in dataset[split]["text"]]
    ids = [i for split in dataset for i in dataset[split]["id"]]
    assert len(set(texts)) == len(texts)
    assert len(set(ids)) == len(ids)


def test_expected_outputs_validate_and_hold_no_nulls(dataset):
    rows = [*dataset["test"].select(range(0, 600, 7)), *dataset["test_styles"].select(range(0, 300, 7))]
    for row in rows:
        expected = json.loads(row["expected_output"])
        schema = json.loads(row["schema"])
        Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(expected)
        assert "null" not in row["expected_output"]
        assert row["complexity"] == complexity_of(row["schema_id"])


def test_canonical_prompt_from_a_loaded_row(dataset):
    row = dataset["test_unseen"][0]
    system, user = build_prompt(row)
    assert system["role"] == "system" and user["role"] == "user"
    assert schema_template(row["schema"]) in user["content"]
    assert user["content"].endswith(row["text"])
    assert row["expected_output"] not in user["content"]
