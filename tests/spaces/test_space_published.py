"""The Space as published: its folder staged with the packages beside app.py, a results file that ``edgejson-eval``
wrote for the tiny model, and an adapter whose base is not at hand; read through the Space's API."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "spaces" / "edgejson" / "app.py"


@pytest.fixture(scope="module")
def published(tiny_model, launch, tmp_path_factory):
    """A staged Space repo (as ``make push`` stages it) with one results file, running; its URL and that file."""
    root = tmp_path_factory.mktemp("published")
    for path in APP.parent.iterdir():
        if path.suffix in (".py", ".md", ".txt"):
            shutil.copy(path, root / path.name)
    for package in ("edgejson", "maaza"):
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "edgejson_dataset" / "schemas", root / "edgejson_dataset" / "schemas")
    (root / "edgejson_dataset" / "data").mkdir()
    for split in ("test", "test_unseen"):
        shutil.copy(REPO / "edgejson_dataset" / "data" / f"{split}.jsonl", root / "edgejson_dataset" / "data")
    shutil.copytree(REPO / "results" / "reference", root / "results" / "reference")
    orphan = root / "maaza_models" / "orphan-adapter"
    orphan.mkdir(parents=True)
    (orphan / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "nobody/no-such-base"}))
    (orphan / "adapter_model.safetensors").write_bytes(b"")
    broken = root / "maaza_models" / "broken-adapter"  # its config is no JSON object: listed, not a crash
    broken.mkdir()
    (broken / "adapter_config.json").write_text("[1, 2]")
    done = subprocess.run(
        [sys.executable, "-m", "maaza.evaluation.harness", "--model", str(tiny_model), "--split", "test",
         "--limit", "2", "--dataset", str(REPO / "edgejson_dataset"), "--results-dir", str(root / "results")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (results_file,) = (root / "results").glob(f"{tiny_model.name}/*.json")
    with launch(root / "app.py", [], root.parent / "console.log", root.parent / "maaza-cache") as url:
        yield {"url": url, "results": json.loads(results_file.read_text())}


@pytest.fixture(scope="module")
def board(published, leaderboard_query):
    return leaderboard_query(published["url"])


def test_the_default_row_is_the_baseline_greedy_on_each_split(board, published, tiny_model):
    results = published["results"]
    (row,) = board()
    exact = round(100 * results["scores"]["json_exact"], 1)
    assert row["Model"] == tiny_model.name and row["Type"] == "zero-shot"
    assert row["Recommended decoding"] == "greedy"
    assert row["test greedy"] == row["test recommended"] == exact
    assert row["test_unseen greedy"] is None and row["test_styles recommended"] is None
    assert row["N"] == "2 · – · –"
    assert row["Params (M)"] == round(results["model"]["parameters"] / 1e6, 1)


def test_with_all_runs_the_row_shows_the_results_file(board, published, tiny_model):
    results = published["results"]
    (row,) = board(show_all=True)
    assert row["Model"] == tiny_model.name
    assert row["Type"] == "zero-shot" and row["Decoding"] == "greedy"
    assert row["JSONExact %"] == round(100 * results["scores"]["json_exact"], 1)
    assert row["Leaf F1"] == round(results["scores"]["leaf_f1"], 3)
    assert row["Simple %"] == round(100 * results["by_complexity"]["simple"]["json_exact"], 1)
    assert row["N"] == 2
    assert row["Params (M)"] == round(results["model"]["parameters"] / 1e6, 1)
    assert row["Tok/s"] == round(results["performance"]["tokens_per_s"], 1)


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        ({"query": "TINY-model"}, 1),
        ({"query": "maaza"}, 0),
        ({"types": ["fine-tuned adapter"]}, 0),
        ({"limit": 0}, 0),
        ({"split": "test_unseen"}, 1),  # the default view shows every split; the split picks the plot's
        ({"show_all": True, "types": ["zero-shot"], "decoding": "greedy"}, 1),
        ({"show_all": True, "decoding": "constrained"}, 0),
        ({"show_all": True, "split": "test_unseen"}, 0),
        ({"show_all": True, "limit": 0}, 0),
    ],
)
def test_search_and_filters(board, filters, count):
    assert len(board(**filters)) == count


def test_examples_come_from_the_staged_test_split(published):
    client = Client(published["url"], verbose=False)
    _, examples = client.predict("invoice", api_name="/schema")
    assert examples["choices"]


def test_a_broken_adapter_folder_is_listed_as_unavailable_with_the_reason(published, taught):
    client = Client(published["url"], verbose=False)
    with pytest.raises(AppError, match="Model 'broken-adapter' is unavailable here: .*must hold a JSON object"):
        client.predict(json.dumps(taught["schema"]), taught["text"], "broken-adapter", False, api_name="/extract")


def test_an_adapter_without_its_base_is_listed_as_unavailable_with_the_reason(published, taught):
    client = Client(published["url"], verbose=False)
    model = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/extract"]["parameters"][2]
    assert "orphan-adapter" in model["type"]["enum"]
    with pytest.raises(
        AppError, match="Model 'orphan-adapter' is unavailable here: its base 'nobody/no-such-base' is "
    ):
        client.predict(json.dumps(taught["schema"]), taught["text"], "orphan-adapter", False, api_name="/extract")
