"""The README's results table comes from the result files: written by `python -m release.readme`, checked in CI.

A row per released model (a model repo of the release file) and per zero-shot baseline; per split, greedy and the
model's recommended decoding."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from release_helpers import results_file, write

from release.readme import END, START, main

ROOT = Path(__file__).resolve().parents[2]
RELEASE = """org: TestOrg
tag: "v{version}"
changelog: CHANGELOG.md
required: {}
repos:
  - {name: Maaza-X, type: model, results: results/maaza-x, sources: []}
  - {name: edgejson, type: dataset, sources: []}
"""
CHECKED = {"constrained": True, "spans": True, "key_check": True, "value_check": True}


def _run(split: str, exact: list[int], adapter: str | None = "adapter", first: bool = False, **decoding: bool) -> str:
    """A results file of ``split`` (its first N rows when ``first``) whose examples score ``exact`` (JSONExact, one per
    example), in the mode ``decoding`` names (greedy when empty)."""
    data = json.loads(results_file(split, False, {"json_exact": sum(exact) / len(exact), "leaf_f1": 0.9}))
    data["model"]["adapter"] = adapter
    data["dataset"].update(examples=len(exact), limit=len(exact) if first else None)
    data["decoding"].update(decoding)
    data["examples"] = [{"id": f"{split}-{i}", "scores": {"json_exact": e}} for i, e in enumerate(exact)]
    return json.dumps(data)


def _args(root: Path) -> list[str]:
    """``python -m release.readme``'s options for ``root``'s README.md, results/ and release.yaml."""
    return ["--readme", f"{root}/README.md", "--results", f"{root}/results", "--release", f"{root}/release.yaml"]


def _project(root: Path, readme: str = f"{START}\n{END}\n") -> Path:
    """``root`` with a README holding ``readme``, and a release file whose one model repo has its results in
    ``results/maaza-x``; the README's path."""
    write(root / "pyproject.toml", '[project]\nname = "x"\nversion = "0.1.0"\n')
    write(root / "release.yaml", RELEASE)
    return write(root / "README.md", readme)


def _table(root: Path) -> list[str]:
    """The table's lines that ``python -m release.readme`` writes for the files under ``root/results``."""
    readme = _project(root)
    assert main(_args(root)) == 0
    return readme.read_text().splitlines()[1:-1]


def test_table_is_written_between_the_markers_then_checks_clean(tmp_path: Path, capsys) -> None:
    readme = _project(tmp_path, f"# Title\n\n{START}\nold table\n{END}\n\nMore text.\n")
    write(tmp_path / "results/maaza-x/test.json", _run("test", [1, 1, 1, 0]))

    assert main([*_args(tmp_path), "--check"]) == 1
    assert "results table is out of date" in capsys.readouterr().err
    assert main(_args(tmp_path)) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\n") and text.endswith(f"{END}\n\nMore text.\n") and "old table" not in text
    assert main([*_args(tmp_path), "--check"]) == 0


def test_a_row_per_released_model_and_baseline_greedy_and_recommended_per_split(tmp_path: Path) -> None:
    write(tmp_path / "results/maaza-x/test.json", _run("test", [1, 1, 1, 0]))
    write(tmp_path / "results/maaza-x/test-constrained.json", _run("test", [1, 1, 0, 0], constrained=True))
    write(
        tmp_path / "results/maaza-x/test-constrained-spans-keycheck-valuecheck.json", _run("test", [1] * 4, **CHECKED)
    )
    write(tmp_path / "results/maaza-x/test_unseen.json", _run("test_unseen", [1, 0]))
    write(
        tmp_path / "results/maaza-x/test_unseen-constrained-spans-keycheck-valuecheck.json",
        _run("test_unseen", [1, 1], **CHECKED),
    )
    onnx = json.loads(_run("test", [0, 0, 0, 0]))
    onnx["model"].update(engine="onnx", precision="q4")
    write(tmp_path / "results/maaza-x/test-onnx-q4.json", json.dumps(onnx))  # another engine: not in the table
    write(tmp_path / "results/maaza-old/test.json", _run("test", [1, 1, 1, 1]))  # not released: named below it
    base = json.loads(_run("test", [0, 1], adapter=None, first=True))
    base["decoding"]["max_new_tokens"] = "per example: the tokens of its expected answer indented, + 32"  # before 0.2
    write(tmp_path / "results/base-y/test-first2.json", json.dumps(base))

    lines = _table(tmp_path)
    assert lines[0] == (
        "| Model | Params | Type | Recommended decoding | test greedy | test recommended | test_unseen greedy "
        "| test_unseen recommended | test_styles greedy | test_styles recommended |"
    )
    assert lines[2:4] == [
        "| maaza-x | 135M | LoRA fine-tuned | constrained + spans + key check + value check | 75.0% | 100.0% | 50.0% "
        "| 100.0% | – | – |",
        "| base-y | 135M | zero-shot | greedy | 50.0% (first 2)† | = greedy | – | – | – | – |",
    ]
    assert lines[4] == ""
    assert "Other adapters in `results/`: maaza-old;" in lines[5] and "maaza-x (onnx" not in lines[5]


def test_the_recommended_mode_is_the_best_on_the_examples_every_mode_scored(tmp_path: Path) -> None:
    write(tmp_path / "results/maaza-x/test-first2.json", _run("test", [1, 1], first=True))  # the 2 that decide
    write(tmp_path / "results/maaza-x/test-constrained.json", _run("test", [0, 1, 1, 1], constrained=True))
    (row,) = [line for line in _table(tmp_path) if line.startswith("| maaza-x")]
    assert row.startswith("| maaza-x | 135M | LoRA fine-tuned | greedy | 100.0% (first 2) | = greedy |")


def test_the_held_out_splits_together_decide_the_recommended_mode_not_test(tmp_path: Path) -> None:
    """Constrained decoding wins on test but loses on test_unseen + test_styles together: greedy is recommended."""
    runs = {
        "test": ([1, 1, 1, 0], [1, 1, 1, 1]),  # (greedy, constrained)
        "test_unseen": ([1, 0], [1, 1]),
        "test_styles": ([1, 1, 1, 1], [0, 0, 0, 1]),
    }
    for split, (greedy, constrained) in runs.items():
        write(tmp_path / f"results/maaza-x/{split}.json", _run(split, greedy))
        write(tmp_path / f"results/maaza-x/{split}-constrained.json", _run(split, constrained, constrained=True))
    (row,) = [line for line in _table(tmp_path) if line.startswith("| maaza-x")]
    assert row.startswith("| maaza-x | 135M | LoRA fine-tuned | greedy | 75.0% | = greedy | 50.0% | = greedy |"), row
    better = _run("test_styles", [1, 0, 1, 1], constrained=True)
    write(tmp_path / "results/maaza-x/test_styles-constrained.json", better)
    (row,) = [line for line in _table(tmp_path) if line.startswith("| maaza-x")]  # 1.75 against 1.5: constrained
    assert row.startswith("| maaza-x | 135M | LoRA fine-tuned | constrained | 75.0% | 100.0% |"), row


def test_each_cell_is_the_split_run_on_the_most_examples_and_data_files_are_no_split(tmp_path: Path) -> None:
    write(tmp_path / "results/maaza-x/test.json", _run("test", [1, 1, 1, 0]))
    write(tmp_path / "results/maaza-x/test-first1.json", _run("test", [0], first=True))
    mine = json.loads(_run("test", [1, 1]))
    mine["dataset"]["source"] = "my/test.jsonl"  # how a run on a data file named test.jsonl was once recorded
    write(tmp_path / "results/maaza-x/test-0123456789.json", json.dumps(mine))
    rows = [line for line in _table(tmp_path) if line.startswith("| maaza-x")]
    assert rows == ["| maaza-x | 135M | LoRA fine-tuned | greedy | 75.0% | = greedy | – | – | – | – |"]


def test_readme_without_markers_is_an_error(tmp_path: Path, capsys) -> None:
    _project(tmp_path, "# Title\n")
    assert main([*_args(tmp_path), "--check"]) == 1
    assert "no <!-- results:start --> ... <!-- results:end --> block" in capsys.readouterr().err


def test_a_missing_release_file_is_an_error(tmp_path: Path, capsys) -> None:
    _project(tmp_path)
    (tmp_path / "release.yaml").unlink()
    assert main(_args(tmp_path)) == 1
    assert "release.yaml: no such release file" in capsys.readouterr().err


def test_the_committed_readme_table_is_current_and_recommends_what_the_card_does() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    if START not in text:
        pytest.skip("README.md has no results block yet")
    assert main([*_args(ROOT), "--check"]) == 0
    card = (ROOT / "maaza_models/maaza-mlm-135m-json/README.md").read_text(encoding="utf-8")
    (mode,) = re.findall(r"^Recommended: \*\*(.+?)\*\* decoding", card, flags=re.MULTILINE)
    assert f"| maaza-mlm-135m-json | 135M | LoRA fine-tuned | {mode} |" in text
