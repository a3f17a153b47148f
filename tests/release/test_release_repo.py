"""This repository's own release: every card validates, and the demo Space runs from its staged files alone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from release import load_release, stage_and_validate
from release.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
BUILD_SPACE = """
import edgejson, maaza
from catalog import Catalog
import app
assert edgejson.__file__.startswith(SPACE) and maaza.__file__.startswith(SPACE), (edgejson.__file__, maaza.__file__)
demo = app.build_demo(Catalog.discover())
print(type(demo).__name__)
"""


MAKE_EXPORT_PRECISIONS = re.search(r"^PRECISIONS \?= (.+)$", (ROOT / "Makefile").read_text(), re.M)[1].split()


def test_the_committed_release_validates() -> None:
    """What git holds validates; the folders that `make export` builds (every one: the Makefile's PRECISIONS, ONNX
    under onnx/, llama.cpp's under gguf/ and gguf-q8/) are validated when `make push` runs."""
    release = load_release(ROOT / "release.yaml")
    in_git = tuple(replace(repo, sources=tuple(s for s in repo.sources if not s.built_by)) for repo in release.repos)
    staged = stage_and_validate(replace(release, repos=in_git))
    assert {repo.repo_type for repo in staged} == {"dataset", "model", "space"}
    for repo in release.repos:
        if repo.repo_type == "model":
            (adapter,) = [s.folder.name for s in repo.sources if not s.built_by]
            built = {(s.folder.parent.name, s.folder.name, s.to, s.built_by) for s in repo.sources if s.built_by}
            assert built == {
                (adapter, p, p if p.startswith("gguf") else f"onnx/{p}", "make export") for p in MAKE_EXPORT_PRECISIONS
            }


def test_the_staged_metric_space_loads_and_scores_from_its_own_files(tmp_path: Path) -> None:
    space = load_release(ROOT / "release.yaml", only=["space:edgejson"]).repos[0]
    folder = tmp_path / "edgejson"
    for path_in_repo, local in space.stage().items():
        (folder / path_in_repo).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, folder / path_in_repo)
    code = (
        "import evaluate, sys; m = evaluate.load(sys.argv[1], keep_in_memory=True); "
        """print(m.compute(predictions=['ok {"a": 1}'], references=['{"a": 1}'])['json_exact'])"""
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "1.0"


def test_the_staged_demo_space_builds_from_its_own_folder(tmp_path: Path) -> None:
    space = load_release(ROOT / "release.yaml", only=["edgejson-leaderboard"]).repos[0]
    for path_in_repo, local in space.stage().items():
        (tmp_path / path_in_repo).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, tmp_path / path_in_repo)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    code = f"import sys; sys.path.insert(0, '.'); SPACE = {str(tmp_path)!r}\n{BUILD_SPACE}"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("Blocks")


def test_the_hub_org_typed_in_the_metric_and_the_space_follows_the_release(monkeypatch, capsys) -> None:
    """The metric's module and card and the Space's card name their Hub ids in release.yaml's org: published to
    another (``--org``), the release stops, naming each file and line that still says the committed org."""
    org = load_release(ROOT / "release.yaml").org
    monkeypatch.chdir(ROOT)
    assert main(["--dry-run", "--only", "space:edgejson", "edgejson-leaderboard"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["--dry-run", "--org", "Elsewhere", "--only", "space:edgejson", "edgejson-leaderboard"]) == 1
    err = capsys.readouterr().err
    for path in ("metrics/edgejson/edgejson.py", "metrics/edgejson/README.md", "spaces/edgejson/README.md"):
        lines = [n for n, line in enumerate((ROOT / path).read_text().splitlines(), 1) if f"{org}/" in line]
        assert lines and all(f"{path} line {n}: {org}/" in err for n in lines), err
