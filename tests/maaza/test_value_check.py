"""The value check: optional numbers and enum members that the text never states go, nothing else; no EdgeJSON answer
loses a key to it; edgejson-eval and maaza extract run it."""

import json
import re

import pytest
from datasets import load_dataset
from maaza_tiny import OPTIONAL_SCHEMA, TEXTS, eval_optional_ticket, run_command

from edgejson.answer import schema_validator, validation_errors
from edgejson_dataset.build import DATASET_DIR
from maaza.cli import main
from maaza.value_check import check_values

ORDER = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "total": {"type": "number"},
        "fee": {"type": "number"},
        "discount": {"type": "number"},
        "paid": {"type": "boolean"},
        "channel": {"type": "string", "enum": ["web", "phone", "in_store"]},
        "note": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}, "size": {"enum": ["S", "M"]}},
                "required": ["sku"],
            },
        },
    },
    "required": ["id", "total"],
}


def test_optional_values_the_text_never_states_go_at_any_depth():
    text = "Order A-17, total 12,480.50, bought in store: two of SKU-1 and 3 of SKU-2 (size m)."
    answer = {
        "id": "A-17",
        "total": 99.0,  # required: never touched, even when wrong
        "fee": 0.5,
        "channel": "in_store",
        "items": [{"sku": "SKU-1", "qty": 2, "size": "S"}, {"sku": "SKU-2", "qty": 3, "size": "M"}],
    }
    checked, dropped = check_values(text, ORDER, answer)
    assert dropped == ["fee", "items[0].size"]
    assert checked == {
        "id": "A-17",
        "total": 99.0,
        "channel": "in_store",
        "items": [{"sku": "SKU-1", "qty": 2}, {"sku": "SKU-2", "qty": 3, "size": "M"}],
    }
    assert answer["fee"] == 0.5  # the answer given is left as it was
    assert not validation_errors(checked, schema_validator(ORDER))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("The fee was 1,250.75 euros.", 1250.75),
        ("Fee: 0.5", 0.5),
        ("A fee of forty-two", 42),
        ("Fee is Seven.", 7),
        ("The fee came to 35% of it", 0.35),
        ("Fee -3 after the refund", -3),
    ],
)
def test_a_number_is_stated_in_digits_words_or_percent(text, value):
    assert check_values(text, ORDER, {"id": "x", "total": 1, "fee": value}) == (
        {"id": "x", "total": 1, "fee": value},
        [],
    )


@pytest.mark.parametrize(
    ("text", "channel", "kept"),
    [
        ("Bought in-store", "in_store", True),
        ("Ordered over the PHONE", "phone", True),
        ("Ordered on the webshop", "web", False),  # not a word of its own
        ("No channel given", "web", False),
    ],
)
def test_an_enum_member_is_stated_as_a_word_in_any_case(text, channel, kept):
    _, dropped = check_values(text, ORDER, {"id": "x", "total": 1, "channel": channel})
    assert dropped == ([] if kept else ["channel"])


def test_strings_booleans_and_objects_are_left_to_the_other_rules():
    answer = {"id": "x", "total": 1, "paid": True, "note": "left at the door", "items": []}
    assert check_values("Nothing here.", ORDER, answer) == (answer, [])


@pytest.mark.parametrize("config", ["default", "generated"])
def test_no_edgejson_answer_loses_a_key(config):
    """Every expected answer of every split keeps every key: the rule reads numbers and enums as EdgeJSON's texts
    write them."""
    for split, rows in load_dataset(str(DATASET_DIR), config).items():
        for row in rows:
            expected = json.loads(row["expected_output"])
            _, dropped = check_values(row["text"], json.loads(row["schema"]), expected)
            assert dropped == [], f"{config}/{split} {row['id']}: {dropped}"


def test_edgejson_eval_scores_the_checked_answer(capsys, tmp_path, tiny_model):
    """The tiny model answers the first ticket with optional yes/no keys that the text never states."""
    code = eval_optional_ticket(capsys, tmp_path, tiny_model, "--value-check")
    assert code == 0
    (path,) = (tmp_path / tiny_model.name).iterdir()
    assert re.fullmatch(r"optional-[0-9a-f]{10}-constrained-valuecheck\.json", path.name)
    run = json.loads(path.read_text())
    assert run["decoding"]["value_check"] is True and "never states" in run["decoding"]["value_check_rule"]
    (example,) = run["examples"]
    generated = json.loads(example["raw_output"])
    assert example["dropped"] and set(example["dropped"]) == set(generated) - {"status"}
    assert example["parsed"] == {"status": "open"} and run["scores"]["json_exact"] == 1.0


def test_maaza_extract_prints_the_answer_less_the_keys_it_names(capsys, tiny_model, tmp_path):
    (tmp_path / "schema.json").write_text(json.dumps(OPTIONAL_SCHEMA))
    common = ("extract", "--schema", tmp_path / "schema.json", "--text", TEXTS[0], "--model", tiny_model)
    code, out, _ = run_command(capsys, main, *common, "--constrained")
    checked_code, checked_out, err = run_command(capsys, main, *common, "--constrained", "--value-check")
    assert code == checked_code == 0
    dropped = re.search(r"the value check dropped (.*)", err).group(1).split(", ")
    assert dropped and json.loads(checked_out) == {k: v for k, v in json.loads(out).items() if k not in dropped}
