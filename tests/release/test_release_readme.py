"""The README's results table comes from the result files: written by `python -m release.readme`, checked in CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from release_helpers import results_file, write

from release.readme import END, START, main

ROOT = Path(__file__).resolve().parents[2]


def test_table_is_written_between_the_markers_then_checks_clean(tmp_path: Path, capsys) -> None:
    readme = write(tmp_path / "README.md", f"# Title\n\n{START}\nold table\n{END}\n\nMore text.\n")
    write(tmp_path / "results/maaza-x/test.json", results_file("test", False, {"json_exact": 0.75, "leaf_f1": 0.97}))
    write(tmp_path / "results/maaza-x/test-constrained.json", results_file("test", True, {"json_exact": 0.76}))
    checked = json.loads(results_file("test", True, {"json_exact": 0.8}))
    checked["decoding"]["key_check"] = True
    write(tmp_path / "results/maaza-x/test-constrained-keycheck.json", json.dumps(checked))
    checked["decoding"]["spans"], checked["scores"]["json_exact"] = True, 0.85
    write(tmp_path / "results/maaza-x/test-constrained-spans-keycheck.json", json.dumps(checked))
    checked["decoding"]["value_check"], checked["scores"]["json_exact"] = True, 0.9
    write(tmp_path / "results/maaza-x/test-constrained-spans-keycheck-valuecheck.json", json.dumps(checked))
    base = results_file("test", False, {"json_exact": 0.05, "leaf_f1": 0.3})
    base = json.loads(base.replace('"adapter": "adapter"', '"adapter": null'))
    base["decoding"]["max_new_tokens"] = "per example: the tokens of its expected answer indented, + 32"  # before 0.2
    write(tmp_path / "results/base-y/test.json", json.dumps(base))
    write(tmp_path / "results/reference/edgejson-v3.json", '{"models": []}')
    args = ["--readme", str(readme), "--results", str(tmp_path / "results")]

    assert main([*args, "--check"]) == 1
    assert "results table is out of date" in capsys.readouterr().err
    assert main(args) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\n") and text.endswith(f"{END}\n\nMore text.\n") and "old table" not in text
    rows = [line for line in text.splitlines() if line.startswith("| maaza-x") or line.startswith("| base-y")]
    assert rows == [
        "| maaza-x | 135M | LoRA fine-tuned | 75.0% | 0.970 | 76.0% | 85.0% | 90.0% | – | – | – | – | – | – | – | – "
        "| 42.0 | 16 | schema + text |",
        "| base-y | 135M | zero-shot | 5.0% | 0.300 | – | – | – | – | – | – | – | – | – | – | – | 42.0 | 16 "
        "| expected answer |",
    ]
    assert (
        "| test JSONExact, constrained | test JSONExact, constrained + spans + key check "
        "| test JSONExact, constrained + spans + key check + value check | test_unseen JSONExact |"
    ) in text
    assert "| test_styles JSONExact | test_styles JSONExact, constrained |" in text
    assert main([*args, "--check"]) == 0


def test_each_cell_is_the_split_run_on_the_most_examples_and_data_files_are_no_split(tmp_path: Path) -> None:
    readme = write(tmp_path / "README.md", f"{START}\n{END}\n")
    write(tmp_path / "results/maaza-x/test.json", results_file("test", False, {"json_exact": 0.75, "leaf_f1": 0.97}))
    partial = json.loads(results_file("test", False, {"json_exact": 0.0, "leaf_f1": 0.0}))
    partial["dataset"].update(examples=1, limit=1)
    write(tmp_path / "results/maaza-x/test-first1.json", json.dumps(partial))
    mine = json.loads(results_file("test", False, {"json_exact": 1.0, "leaf_f1": 1.0}))
    mine["model"]["adapter"] = "mine"
    mine["dataset"]["source"] = "my/test.jsonl"  # how a run on a data file named test.jsonl was once recorded
    write(tmp_path / "results/mine/test.json", json.dumps(mine))
    assert main(["--readme", str(readme), "--results", str(tmp_path / "results")]) == 0
    rows = [line for line in readme.read_text().splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == [
        "| maaza-x | 135M | LoRA fine-tuned | 75.0% | 0.970 | – | – | – | – | – | – | – | – | – | – | – | 42.0 | 16 "
        "| schema + text |"
    ]


def test_readme_without_markers_is_an_error(tmp_path: Path, capsys) -> None:
    readme = write(tmp_path / "README.md", "# Title\n")
    assert main(["--readme", str(readme), "--results", str(tmp_path), "--check"]) == 1
    assert "no <!-- results:start --> ... <!-- results:end --> block" in capsys.readouterr().err


def test_the_committed_readme_table_is_current() -> None:
    if START not in (ROOT / "README.md").read_text(encoding="utf-8"):
        pytest.skip("README.md has no results block yet")
    assert main(["--readme", str(ROOT / "README.md"), "--results", str(ROOT / "results"), "--check"]) == 0
