"""Each check is one ordered list of named rules, and every text that describes it is made from that list: the rule
a results file records, the help of ``maaza extract`` and ``edgejson-eval``, and the Space's checkboxes."""

import json

import pytest
from maaza_tiny import eval_optional_ticket, run_command, run_eval

from maaza.checks import keys, values
from maaza.cli import main

VALUE_RULES = (
    "dates-as-stated",
    "numbers-cut-at-comma",
    "never-stated",
    "copies-a-required-key",
    "taken-from-a-sibling",
    "copied-arrays",
    "invented-items",
)
KEY_RULES = ("named-in-text", "likelier-without")


def test_the_rules_run_in_their_order():
    assert tuple(rule.name for rule in values.RULES) == VALUE_RULES
    assert tuple(rule.name for rule in keys.RULES) == KEY_RULES


@pytest.mark.parametrize("check", [values, keys])
def test_each_rule_says_what_it_does_in_its_docstring(check):
    for rule in check.RULES:
        assert rule.text and rule.text == " ".join(rule.apply.__doc__.split("\n\n")[0].split()).removesuffix(".")


def test_a_results_file_records_each_rule_in_order(capsys, tmp_path, tiny_model):
    assert eval_optional_ticket(capsys, tmp_path, tiny_model, "--key-check", "--value-check") == 0
    (path,) = (tmp_path / tiny_model.name).iterdir()
    decoding = json.loads(path.read_text())["decoding"]
    for field, check in (("value_check_rule", values), ("key_check_rule", keys)):
        recorded = decoding[field]
        places = [recorded.index(f"({number}) {rule.name}: {rule.text}") for number, rule in enumerate(check.RULES, 1)]
        assert places == sorted(places) and recorded.endswith(f"({check.__name__})")


@pytest.mark.parametrize("command", ["cli", "eval"])
def test_the_help_lists_the_rules_in_order(capsys, command):
    code, out, _ = run_command(capsys, main, "extract", "--help") if command == "cli" else run_eval(capsys, "--help")
    shown = "".join(out.split())  # argparse wraps lines at spaces and hyphens
    assert code == 0
    assert ",then".join(VALUE_RULES) in shown and ",then".join(KEY_RULES) in shown
