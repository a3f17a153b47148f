"""The builder through its CLI: determinism, card, bad input, atomic writes, validation errors."""

import json
import re
from pathlib import Path

import pytest

import edgejson_dataset.build
from edgejson_dataset.__main__ import main
from edgejson_dataset.build import DATASET_DIR, GENERATED_CONFIGS, SPLITS
from edgejson_dataset.spec import load_spec
from edgejson_dataset.styles import HELD_OUT_STYLES
from edgejson_dataset.surface import STYLES
from edgejson_dataset.validate import BuildError, check_example

SMALL = [
    "--sizes",
    "train=26",
    "validation=26",
    "test=26",
    "test_unseen=6",
    "test_styles=26",
    "--generated",
    "train=3x2",
    "validation=2x1",
    "--nested",
    "train=2x2",
    "validation=1x1",
]
GENERATED_FILES = [f"{config}/{split}.jsonl" for config, sizes in GENERATED_CONFIGS.items() for split in sizes]


def test_rebuild_is_byte_identical_to_the_committed_files(tmp_path):
    assert main(["build", "--out", str(tmp_path)]) == 0
    files = [f"{split}.jsonl" for split in SPLITS] + GENERATED_FILES
    for name in files:
        assert (tmp_path / "data" / name).read_bytes() == (DATASET_DIR / "data" / name).read_bytes()
    assert (tmp_path / "README.md").read_bytes() == (DATASET_DIR / "README.md").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "data"]


def test_card_declares_the_splits_and_reports_builder_numbers(tmp_path):
    assert main(["build", "--out", str(tmp_path), "--seed", "3", *SMALL]) == 0
    card = (tmp_path / "README.md").read_text()
    assert "path: data/test_unseen.jsonl" in card and "license: apache-2.0" in card
    assert "num_examples: 26" in card and "num_examples: 6" in card
    assert "| test_unseen | 6 | 6 |" in card  # the statistics table is computed from the rows
    assert "path: data/nested/train.jsonl" in card and "| train | 4 | 2 | 0 | 0 | 4 |" in card  # 2 schemas x 2 rows


def test_a_held_out_style_outside_test_styles_fails_the_build(tmp_path, monkeypatch, capsys):
    def leaky(split):  # the plan's styles for train: the held-out ones
        return HELD_OUT_STYLES if split in ("train", "test_styles") else STYLES

    monkeypatch.setattr(edgejson_dataset.build, "styles_of", leaky)
    assert main(["build", "--out", str(tmp_path), *SMALL]) == 1
    assert re.search(r"error: train-[\w-]+: /style: '\w+' is not a style of split 'train'", capsys.readouterr().err)
    assert not (tmp_path / "data").exists()


def test_another_seed_gives_other_texts(tmp_path):
    assert main(["build", "--out", str(tmp_path), "--seed", "11", *SMALL]) == 0
    texts = {json.loads(line)["text"] for line in (tmp_path / "data" / "test.jsonl").read_text().splitlines()}
    committed = (DATASET_DIR / "data" / "test.jsonl").read_text()
    assert not any(json.dumps(t, ensure_ascii=False) in committed for t in texts)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed", "-4"], "non-negative integer"),
        (["--seed", "abc"], "non-negative integer"),
        (["--sizes", "tests=5"], "SPLIT=N"),
        (["--sizes", "train=many"], "SPLIT=N"),
        (["--generated", "train=0x3"], "SPLIT=SCHEMASxROWS"),
        (["--generated", "test=3x3"], "SPLIT=SCHEMASxROWS"),
        (["--nested", "validation=2"], "SPLIT=SCHEMASxROWS"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--out", str(tmp_path), *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_a_size_too_small_for_every_schema_is_refused(capsys, tmp_path):
    assert main(["build", "--out", str(tmp_path), "--sizes", "test=5"]) == 1
    assert "size of test must be an integer >= 26" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_a_failing_build_leaves_the_previous_files_untouched(tmp_path, monkeypatch, capsys):
    assert main(["build", "--out", str(tmp_path), *SMALL]) == 0
    before = {p: p.read_bytes() for p in (tmp_path / "data").rglob("*.jsonl")}

    def broken(row, spec):
        if row["id"].startswith("test_unseen"):
            raise BuildError(f"{row['id']}: /x: injected violation")

    monkeypatch.setattr(edgejson_dataset.build, "check_example", broken)
    assert main(["build", "--out", str(tmp_path), "--seed", "5", *SMALL]) == 1
    assert "injected violation" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in (tmp_path / "data").rglob("*.jsonl")} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "data"]


def _row(split: str = "test") -> dict:
    return json.loads((DATASET_DIR / "data" / f"{split}.jsonl").read_text().splitlines()[0])


def test_a_value_missing_from_the_text_names_the_example_and_path():
    row = _row()
    expected = json.loads(row["expected_output"])
    key = next(k for k, v in expected.items() if isinstance(v, str))
    expected[key] = "Zzyzx Quokka"
    with pytest.raises(BuildError, match=rf"^{row['id']}: /{key}: value 'Zzyzx Quokka' is not stated"):
        check_example(row | {"expected_output": json.dumps(expected)}, load_spec(row["schema_id"]))


def test_a_schema_violation_names_the_example_and_path():
    row = _row()
    expected = json.loads(row["expected_output"])
    key = next(iter(expected))
    expected[key] = 12345
    with pytest.raises(BuildError, match=rf"^{row['id']}: /{key}: 12345 is not of type"):
        check_example(row | {"expected_output": json.dumps(expected)}, load_spec(row["schema_id"]))


def test_preview_prints_counts_and_examples(capsys):
    assert main(["preview", "--examples", "2"]) == 0
    out = capsys.readouterr().out
    assert "test_unseen" in out and "weather_observation *" in out
    assert out.count("EXPECTED JSON") == 2


def test_committed_data_folder_holds_only_the_splits():
    names = sorted(str(p.relative_to(DATASET_DIR / "data")) for p in Path(DATASET_DIR / "data").rglob("*.*"))
    assert names == sorted([f"{s}.jsonl" for s in SPLITS] + GENERATED_FILES)


def test_an_out_that_is_a_file_is_refused_before_generating(tmp_path, capsys):
    out = tmp_path / "a-file"
    out.write_text("keep me")
    assert main(["build", "--out", str(out)]) == 1
    assert "is a file; give a folder" in capsys.readouterr().err and out.read_text() == "keep me"


def test_an_empty_spec_file_is_named(tmp_path, monkeypatch):
    import edgejson_dataset.spec as spec_module
    from edgejson_dataset.spec import SpecError

    (tmp_path / "rating.yaml").write_text("")
    monkeypatch.setattr(spec_module, "SPEC_DIR", tmp_path)
    load_spec.cache_clear()
    try:
        with pytest.raises(SpecError, match=r"rating\.yaml: a spec is a YAML mapping with at least 'topic'"):
            load_spec("rating")
    finally:
        load_spec.cache_clear()
