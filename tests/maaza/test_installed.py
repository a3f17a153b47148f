"""The package stands on its own: installed with pip into a fresh virtualenv outside the clone, ``maaza extract`` and
``edgejson-eval`` run from a folder outside the clone on the schemas, dataset and metric the package ships."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import jsonschema
import pytest
from maaza_tiny import CLOSED_SCHEMA, TEXTS

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "edgejson", "edgejson_dataset", "maaza", "metrics/edgejson")


def _install(tmp: Path, *mode: str) -> Path:
    """``bin/`` of a virtualenv holding this package alone, installed from a copy of its sources (``mode``: ``-e``
    for an editable install, as ``make setup`` makes); the libraries it needs come from the test environment's
    site-packages through a ``.pth`` file (its own ``.pth`` files, the editable install of the clone among them, are
    not read)."""
    for name in SOURCES:
        source, copy = REPO / name, tmp / "source" / name
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, copy)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (next(venv.glob("lib/python*/site-packages")) / "libraries.pth").write_text(sysconfig.get_paths()["purelib"])
    pip = ["-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--ignore-installed"]
    subprocess.run([venv / "bin" / "python", *pip, *mode, tmp / "source"], check=True, cwd=tmp, capture_output=True)
    return venv / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    return _install(tmp_path_factory.mktemp("installed"))


@pytest.fixture(scope="module")
def editable(tmp_path_factory) -> Path:
    return _install(tmp_path_factory.mktemp("editable"), "-e")


def _run(bin_dir: Path, cwd: Path, *argv) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PATH=f"{bin_dir}:{env['PATH']}")
    return subprocess.run([*map(str, argv)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_installed_packages_are_the_ones_imported(installed, tmp_path):
    code = "import edgejson, edgejson_dataset as d, maaza; print(edgejson.__file__, *d.__path__, maaza.__file__)"
    done = _run(installed, tmp_path, "python", "-c", code)
    assert done.returncode == 0, done.stderr
    assert all(path.startswith(str(installed.parent)) for path in done.stdout.split()), done.stdout


def test_maaza_extract_outside_the_clone(installed, tmp_path, tiny_model, closed_schema_file):
    done = _run(installed, tmp_path, "maaza", "extract", "--schema", closed_schema_file, "--text", TEXTS[0],
                "--model", tiny_model, "--constrained")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    jsonschema.validate(json.loads(done.stdout), CLOSED_SCHEMA)
    unknown = _run(installed, tmp_path, "maaza", "extract", "--schema", "no_such_schema", "--text", "Hi")
    assert unknown.returncode == 2 and "contact_info" in unknown.stderr  # EdgeJSON's schemas ship with it


def test_edgejson_eval_outside_the_clone(installed, tmp_path, tiny_model):
    done = _run(installed, tmp_path, "edgejson-eval", "--model", tiny_model, "--limit", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((tmp_path / "results" / tiny_model.name / "test-first2.json").read_text())
    assert record["dataset"]["split"] == "test" and record["dataset"]["examples"] == 2
    assert {"json_exact", "leaf_f1", "schema_valid"} <= set(record["scores"])


def test_edgejson_eval_outside_the_clone_with_an_editable_install(editable, tmp_path, tiny_model):
    """The metric folder (metrics/edgejson, installed as maaza.metric) is found from any working directory."""
    done = _run(editable, tmp_path, "python", "-c", "import maaza.metric; print(*maaza.metric.__path__)")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [str(editable.parents[1] / "source" / "metrics" / "edgejson")]
    done = _run(editable, tmp_path, "edgejson-eval", "--model", tiny_model, "--limit", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "results" / tiny_model.name / "test-first1.json").is_file()
