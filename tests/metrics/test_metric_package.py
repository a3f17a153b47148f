"""The metric folder as published: loads from a clone and alone, imports only its requirements, card and widget."""

import ast
import doctest
import importlib.util
import re
import shutil
import sys
from pathlib import Path

import evaluate
import gradio
import pytest
import yaml

import edgejson.answer
import edgejson.formats

SAMPLE = {
    "predictions": ['ok: {"a": 1, "b": [true]}', '{"a": 2}', "nothing"],
    "references": ['{"a": 1, "b": [true]}', '{"a": 1, "b": [true]}', '{"a": 1}'],
}


def test_loads_from_the_clone_and_from_a_copy_alone(metric, metric_dir, tmp_path, monkeypatch):
    copy = shutil.copytree(metric_dir, tmp_path / "hub" / "edgejson")
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    monkeypatch.chdir(empty)
    alone = evaluate.load(str(copy))
    assert alone.name == metric.name == "edgejson"
    assert alone.compute(**SAMPLE) == metric.compute(**SAMPLE)
    assert metric.compute(**SAMPLE)["json_exact"] == 1 / 3


def test_imports_only_the_standard_library_and_its_requirements(metric_dir):
    allowed = {re.split(r"[<>=\[; ]", line)[0].replace("-", "_") for line in (metric_dir / "requirements.txt").open()}
    allowed |= {"gradio"}  # the Space's sdk provides it
    for script in ("edgejson.py", "answer.py", "formats.py", "app.py"):
        tree = ast.parse((metric_dir / script).read_text())
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
        foreign = {m for m in modules if m.split(".")[0] not in sys.stdlib_module_names | allowed}
        assert not foreign, f"{script} imports {foreign}"
    assert {"evaluate", "datasets", "jsonschema", "rfc3339_validator", "regex"} <= allowed


@pytest.mark.parametrize("module", [edgejson.answer, edgejson.formats])
def test_the_answer_reader_and_its_formats_are_the_packages_own_files_byte_for_byte(metric_dir, module):
    shared = Path(module.__file__)
    assert (metric_dir / shared.name).read_bytes() == shared.read_bytes(), f"copy {shared} to {metric_dir}"


def _run_doctests(text: str, name: str, globs: dict) -> doctest.TestResults:
    test = doctest.DocTestParser().get_doctest(text, globs, name, name, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    return runner.summarize(verbose=False)


def test_docstring_examples_pass(metric):
    module = sys.modules[type(metric).__module__]
    result = _run_doctests(type(metric).__doc__, "edgejson docstring", {**vars(module), "edgejson_metric": metric})
    assert result.failed == 0 and result.attempted >= 10


def test_card_examples_pass(metric, metric_dir):
    result = _run_doctests((metric_dir / "README.md").read_text(), "README.md", {"edgejson": metric})
    assert result.failed == 0 and result.attempted >= 10


def test_card_header_is_a_gradio_space_for_the_installed_gradio(metric_dir):
    text = (metric_dir / "README.md").read_text()
    header = yaml.safe_load(text.split("---\n")[1])
    assert header["sdk"] == "gradio" and header["app_file"] == "app.py" and header["pinned"] is False
    assert header["sdk_version"] == gradio.__version__
    assert {"evaluate", "metric"} <= set(header["tags"])
    assert all(header[key] for key in ("title", "emoji", "colorFrom", "colorTo", "description"))
    for score in ("json_exact", "field_f1", "schema_compliance", "leaf_f1", "schema_valid", "parse_rate", "failures"):
        assert f"**{score}**" in text, f"the card does not explain {score}"


def test_widget_builds_and_scores_without_launching(metric_dir):
    spec = importlib.util.spec_from_file_location("edgejson_app", metric_dir / "app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    assert isinstance(app.demo, gradio.Blocks)
    rows = [[p, r, '{"type": "object"}'] for p, r in zip(SAMPLE["predictions"], SAMPLE["references"], strict=True)]
    results = app.score([*rows, ["", "", ""]])
    assert results["json_exact"] == 1 / 3 and results["schema_valid"] == 2 / 3
    assert [d["failure"] for d in results["details"]] == [None, "missing_field", "no_json"]
