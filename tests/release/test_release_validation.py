"""A card that fails stops the release before any upload, and the error names the repo and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from release_helpers import METRIC_CARD, SCORES, dataset_card, model_card, results_file, write

from maaza.adapters import adapter_hash
from release import ReleaseError, load_release, publish, stage_and_validate
from release.__main__ import main


def problems(project: Path) -> str:
    with pytest.raises(ReleaseError, match="the release stops before any upload") as caught:
        stage_and_validate(load_release(project / "release.yaml"))
    return str(caught.value)


def test_the_valid_release_stages_exactly_the_allowed_files(project: Path) -> None:
    staged = stage_and_validate(load_release(project / "release.yaml"))
    assert {repo.label: sorted(files) for repo, files in staged.items()} == {
        "dataset TestOrg/edgejson": ["README.md", "build.py", "data/test.jsonl", "data/train.jsonl"],
        "space TestOrg/edgejson": ["README.md", "app.py", "edgejson.py", "requirements.txt"],
        "model TestOrg/Tiny-Adapter": ["README.md", "adapter_config.json", "adapter_model.safetensors"],
    }


def test_a_failing_card_stops_the_push_before_any_call(project: Path, hub, token) -> None:
    write(project / "ds/data/test.jsonl", '{"text": "only one"}\n')
    with pytest.raises(ReleaseError, match="dataset TestOrg/edgejson: dataset_info"):
        publish(load_release(project / "release.yaml"), api=hub)
    assert hub.calls == []


def test_yaml_that_does_not_parse(project: Path) -> None:
    write(project / "metric/README.md", "---\ntitle: [unclosed\nsdk: gradio\n---\n# v0.1.0\n")
    assert "space TestOrg/edgejson: README.md: the YAML metadata does not parse" in problems(project)


def test_missing_card_and_missing_required_fields(project: Path) -> None:
    write(project / "metric/README.md", "---\ntitle: EdgeJSON\n---\n# 0.1.0\n")
    (project / "adapter/README.md").unlink()
    (project / "release.yaml").write_text(
        (project / "release.yaml").read_text().replace("allow: [README.md, adapter_config", "allow: [adapter_config")
    )
    found = problems(project)
    assert "space TestOrg/edgejson: sdk: missing from the card metadata" in found
    assert "space TestOrg/edgejson: app_file: missing from the card metadata" in found
    assert "model TestOrg/Tiny-Adapter: README.md: missing (every repo needs its card)" in found


def test_version_must_appear_in_every_card(project: Path) -> None:
    write(project / "adapter/README.md", model_card().replace("Release 0.1.0.", "Release 0.1.01."))
    assert "model TestOrg/Tiny-Adapter: version: the card does not mention the release version 0.1.0" in problems(
        project
    )


def test_dataset_split_sizes_must_match_the_data_files(project: Path) -> None:
    write(project / "ds/README.md", dataset_card(train_rows=4))
    write(project / "ds/data/test.jsonl", '{"text": "a"}\n\n{"text": "b"}\n{"text": "c"}\n')
    found = problems(project)
    assert "dataset_info[default].splits[train].num_examples: the card says 4, data/train.jsonl hold 3 rows" in found
    assert "dataset_info[default].splits[test].num_examples: the card says 2, data/test.jsonl hold 3 rows" in found


def test_dataset_script_named_after_the_repo_is_refused(project: Path) -> None:
    write(project / "ds/edgejson.py", "")
    assert "dataset TestOrg/edgejson: edgejson.py: datasets refuses" in problems(project)


def test_model_index_must_agree_with_the_results_files(project: Path) -> None:
    changed = {**SCORES[("test", True)], "leaf_f1": 0.9}
    write(project / "results/tiny-adapter/test-constrained.json", results_file("test", True, changed))
    found = problems(project)
    assert "model-index[test, constrained].leaf_f1: the card says 0.97, test-constrained.json says 0.9" in found
    assert "model-index[test]." not in found and "test_unseen" not in found


def test_a_percentage_rounded_in_the_card_agrees(project: Path) -> None:
    scores = {**SCORES, ("test", False): {"json_exact": 75.0, "leaf_f1": 0.9625}}
    write(project / "adapter/README.md", model_card(scores=scores))
    stage_and_validate(load_release(project / "release.yaml"))


def test_every_results_file_must_be_in_the_model_index(project: Path) -> None:
    write(project / "results/tiny-adapter/test_unseen-constrained.json", results_file("test_unseen", True, {}))
    write(project / "adapter/README.md", model_card({**SCORES, ("validation", False): {"json_exact": 0.5}}))
    found = problems(project)
    assert "model TestOrg/Tiny-Adapter: model-index: test_unseen-constrained.json is not reported in the card" in found
    assert "model-index[validation].json_exact: no results file for this split and decoding" in found


def test_model_card_base_must_be_the_adapters_base(project: Path) -> None:
    write(project / "adapter/README.md", model_card(base="HuggingFaceTB/SmolLM2-360M-Instruct"))
    assert "base_model: the card says 'HuggingFaceTB/SmolLM2-360M-Instruct', adapter_config.json says" in problems(
        project
    )


def test_space_app_file_and_metric_module_must_be_staged(project: Path) -> None:
    card = (project / "metric/README.md").read_text()
    write(project / "metric/README.md", card.replace("app_file: app.py", "app_file: main.py"))
    (project / "metric/edgejson.py").rename(project / "metric/other.py")
    (project / "release.yaml").write_text((project / "release.yaml").read_text().replace("edgejson.py, ", ""))
    found = problems(project)
    assert "space TestOrg/edgejson: app_file: main.py is not staged" in found
    assert "space TestOrg/edgejson: name: evaluate.load('TestOrg/edgejson') loads edgejson.py" in found


def test_staging_errors_name_the_folder_and_pattern(project: Path) -> None:
    (project / "ds/data/train.jsonl").rename(project / "ds/data/train.json")
    (project / "adapter/adapter_model.safetensors").unlink()
    (project / "metric").rename(project / "metrics")
    found = problems(project)
    assert "dataset_info[default].splits[train].num_examples: no staged data file belongs to this split" in found
    assert "model TestOrg/Tiny-Adapter: no file in" in found
    assert "adapter/ matches 'adapter_model.safetensors'" in found
    assert "space TestOrg/edgejson: folder" in found and "/metric/ does not exist" in found


def test_bad_release_file(project: Path) -> None:
    (project / "release.yaml").write_text("org: x\nrequired: {}\nrepos:\n  - {name: a, type: notebook, sources: []}\n")
    with pytest.raises(ReleaseError, match=r"repos\[0\]: type 'notebook' is not one of dataset, model, space"):
        load_release(project / "release.yaml")
    with pytest.raises(ReleaseError, match="no such release file"):
        load_release(project / "nope.yaml")


def test_the_changelog_needs_a_section_for_the_version(project: Path) -> None:
    write(project / "CHANGELOG.md", "# Changelog\n\n## 0.1.01\n\nNot this one.\n")
    assert "CHANGELOG.md: no '## 0.1.0' section for this version" in problems(project)


def _with_onnx_folder(project: Path) -> None:
    """The model repo also stages an ONNX folder that ``make export`` builds (outside git)."""
    yaml_text = (
        (project / "release.yaml")
        .read_text()
        .replace(
            "adapter_model.safetensors]}]",
            "adapter_model.safetensors]}, {folder: exports/int4, to: onnx/int4, built_by: make export, "
            "allow: [README.md, export_info.json, model.onnx]}]",
        )
    )
    (project / "release.yaml").write_text(yaml_text)


def test_an_onnx_folder_is_staged_when_built_from_the_staged_adapter(project: Path) -> None:
    _with_onnx_folder(project)
    with pytest.raises(ReleaseError, match=r"exports/int4/ does not exist: `make export` builds it"):
        stage_and_validate(load_release(project / "release.yaml"))
    write(project / "exports/int4/README.md", "# int4\n")
    write(project / "exports/int4/model.onnx", b"onnx")
    write(project / "exports/int4/export_info.json", json.dumps({"adapter_sha256": adapter_hash(project / "adapter")}))
    staged = stage_and_validate(load_release(project / "release.yaml"))
    (files,) = [files for repo, files in staged.items() if repo.repo_type == "model"]
    assert {"onnx/int4/README.md", "onnx/int4/export_info.json", "onnx/int4/model.onnx"} <= set(files)
    write(project / "adapter/adapter_model.safetensors", bytes(range(256)) * 9)  # retrained after the export
    assert "onnx/int4/export_info.json: built from adapter sha256" in problems(project)


def test_an_image_the_card_shows_must_be_staged_beside_it(project: Path) -> None:
    card = model_card() + "\n![learning curve](learning_curve.png)\n![logo](https://example.org/logo.png)\n"
    write(project / "adapter/README.md", card)
    write(project / "adapter/learning_curve.png", b"\x89PNG")
    found = problems(project)
    assert "model TestOrg/Tiny-Adapter: README.md: shows learning_curve.png, which is not staged" in found
    assert "logo.png" not in found
    release_file = project / "release.yaml"
    release_file.write_text(
        release_file.read_text().replace(
            "adapter_model.safetensors]", "adapter_model.safetensors, learning_curve.png]"
        )
    )
    staged = stage_and_validate(load_release(release_file))
    assert "learning_curve.png" in next(files for repo, files in staged.items() if repo.repo_type == "model")


def test_a_hub_id_in_another_org_stops_the_release_naming_file_and_line(project: Path, monkeypatch, capsys) -> None:
    """``--org`` cannot rewrite what a card or module says: a Hub id of a release repo outside the release's org
    stops the release, naming the file and line; a folder of the project (spaces/edgejson) is a path, not a Hub id."""
    write(project / "metric/edgejson.py", '"""Usage: ``evaluate.load("TestOrg/edgejson")``."""\n')
    write(project / "metric/README.md", METRIC_CARD + "\nRun `spaces/edgejson/app.py`; data: TestOrg/edgejson.\n")
    (project / "spaces/edgejson").mkdir(parents=True)
    monkeypatch.chdir(project)
    assert main(["--dry-run"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["--dry-run", "--org", "Elsewhere"]) == 1
    err = capsys.readouterr().err
    fix = "is not in the release's org (write Elsewhere/edgejson, or set org in the release file)"
    assert f"space Elsewhere/edgejson: metric/edgejson.py line 1: TestOrg/edgejson {fix}" in err
    assert f"space Elsewhere/edgejson: metric/README.md line 10: TestOrg/edgejson {fix}" in err
    assert "model Elsewhere/Tiny-Adapter: adapter/README.md line" in err  # its model-index names TestOrg/edgejson
    assert "spaces/edgejson" not in err
