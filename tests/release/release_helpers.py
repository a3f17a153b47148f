"""Test helpers for the release: a small valid release to publish and a fake Hub that records every call."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import DatasetCard, DatasetCardData, EvalResult, ModelCard, ModelCardData
from huggingface_hub.errors import RepositoryNotFoundError
from huggingface_hub.hf_api import CommitInfo, GitRefInfo, GitRefs, RepoFile
from huggingface_hub.utils.sha import git_hash

RELEASE_YAML = """
org: TestOrg
tag: "v{version}"
changelog: CHANGELOG.md
ignore: ["*__pycache__*", "*.pyc"]
required:
  dataset: [license, pretty_name, configs, dataset_info]
  model: [license, base_model, library_name, model-index]
  space: [title, sdk, app_file]
repos:
  - name: edgejson
    type: dataset
    sources: [{folder: ds, allow: [README.md, "data/*.jsonl", "*.py"]}]
  - name: edgejson
    type: space
    sources: [{folder: metric, allow: [README.md, edgejson.py, app.py, requirements.txt]}]
  - name: Tiny-Adapter
    type: model
    results: results/tiny-adapter
    sources: [{folder: adapter, allow: [README.md, adapter_config.json, adapter_model.safetensors]}]
"""

BASE = "HuggingFaceTB/SmolLM2-135M-Instruct"
# (split, constrained) -> scores, as edgejson-eval writes them
SCORES = {
    ("test", False): {"json_exact": 0.75, "leaf_f1": 0.9625},
    ("test", True): {"json_exact": 0.8125, "leaf_f1": 0.97},
    ("test_unseen", False): {"json_exact": 0.5, "leaf_f1": 0.875},
}


def results_file(split: str, constrained: bool, scores: dict[str, float]) -> str:
    """A results file in edgejson-eval's layout, reduced to the fields the release reads."""
    return json.dumps(
        {
            "model": {"name": "smollm2-135m-instruct", "parameters": 134_515_008, "adapter": "adapter"},
            "dataset": {"split": split, "examples": 16},
            "decoding": {"constrained": constrained},
            "scores": scores,
            "performance": {"tokens_per_s": 42.0},
        }
    )


def dataset_card(train_rows: int = 3, test_rows: int = 2, version: str = "0.1.0") -> str:
    data = DatasetCardData(
        license="apache-2.0",
        pretty_name="EdgeJSON",
        configs=[
            {
                "config_name": "default",
                "data_files": [
                    {"split": "train", "path": "data/train.jsonl"},
                    {"split": "test", "path": "data/test.jsonl"},
                ],
            }
        ],
        dataset_info={
            "features": [{"name": "text", "dtype": "string"}],
            "splits": [{"name": "train", "num_examples": train_rows}, {"name": "test", "num_examples": test_rows}],
        },
    )
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n# EdgeJSON {version}\n"))


def model_card(scores: dict[tuple[str, bool], dict[str, float]] = SCORES, base: str = BASE) -> str:
    """The card as the model card generator writes it: values rounded to 4 decimals, constrained runs named so."""
    results = [
        EvalResult(
            task_type="text-generation",
            dataset_type="TestOrg/edgejson",
            dataset_name="EdgeJSON",
            dataset_split=split,
            metric_type=metric,
            metric_name=f"{metric} ({'constrained' if constrained else 'unconstrained'} decoding)",
            metric_value=round(value, 4),
        )
        for (split, constrained), values in scores.items()
        for metric, value in values.items()
    ]
    data = ModelCardData(
        license="apache-2.0",
        base_model=base,
        library_name="peft",
        model_name="Tiny-Adapter",
        eval_results=results,
    )
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n# Tiny-Adapter\n\nRelease 0.1.0.\n"))


METRIC_CARD = """---
title: EdgeJSON
sdk: gradio
sdk_version: 6.0.0
app_file: app.py
tags: [evaluate, metric]
---
# EdgeJSON metric (v0.1.0)
"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def make_project(tmp_path: Path) -> Path:
    """A release folder whose three cards are valid; tests break one thing at a time."""
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\nversion = "0.1.0"\n')
    write(tmp_path / "release.yaml", RELEASE_YAML)
    write(tmp_path / "CHANGELOG.md", "# Changelog\n\n## 0.2.0\n\n## 0.1.1\n\n## 0.1.0\n\nFirst release.\n")
    write(tmp_path / "ds/README.md", dataset_card())
    write(tmp_path / "ds/data/train.jsonl", "".join(json.dumps({"text": f"t{i}"}) + "\n" for i in range(3)))
    write(tmp_path / "ds/data/test.jsonl", '{"text": "a"}\n{"text": "b"}\n')
    write(tmp_path / "ds/build.py", "print('rebuild')\n")
    write(tmp_path / "ds/__pycache__/build.cpython-311.pyc", b"\0")
    write(tmp_path / "metric/README.md", METRIC_CARD)
    for name in ("edgejson.py", "app.py", "requirements.txt"):
        write(tmp_path / "metric" / name, f"# {name}\n")
    write(tmp_path / "adapter/README.md", model_card())
    write(tmp_path / "adapter/adapter_config.json", json.dumps({"base_model_name_or_path": BASE, "r": 8}))
    write(tmp_path / "adapter/adapter_model.safetensors", bytes(range(256)) * 8)
    for (split, constrained), values in SCORES.items():
        name = f"{split}{'-constrained' if constrained else ''}.json"
        write(tmp_path / "results/tiny-adapter" / name, results_file(split, constrained, values))
    return tmp_path


def _not_found(repo_id: str) -> RepositoryNotFoundError:
    request = httpx2.Request("GET", f"https://huggingface.co/api/{repo_id}")
    return RepositoryNotFoundError(f"{repo_id} not found", response=httpx2.Response(404, request=request))


class FakeHub:
    """Stands in for ``HfApi``: keeps repos in memory, stores ``*.safetensors`` as LFS, records every call."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def _repo(self, repo_id: str, repo_type: str | None) -> dict[str, Any]:
        key = (repo_type or "model", repo_id)
        if key not in self.repos:
            raise _not_found(repo_id)
        return self.repos[key]

    def _commit(self, repo: dict[str, Any]) -> str:
        oid = hashlib.sha1(repr(sorted(repo["files"].items())).encode() + bytes(len(repo["commits"]))).hexdigest()
        repo["commits"].append(oid)
        return oid

    def create_repo(self, repo_id: str, **kwargs: Any) -> str:
        self.calls.append(("create_repo", repo_id, kwargs))
        key = (kwargs.get("repo_type") or "model", repo_id)
        if key not in self.repos:
            self.repos[key] = {"files": {".gitattributes": b"*.safetensors filter=lfs\n"}, "commits": [], "tags": {}}
            self._commit(self.repos[key])
        return f"https://huggingface.co/{repo_id}"

    def list_repo_refs(self, repo_id: str, *, repo_type: str | None = None) -> GitRefs:
        self.calls.append(("list_repo_refs", repo_id, {"repo_type": repo_type}))
        repo = self._repo(repo_id, repo_type)
        tags = [GitRefInfo(name, f"refs/tags/{name}", oid) for name, oid in repo["tags"].items()]
        return GitRefs(branches=[GitRefInfo("main", "refs/heads/main", repo["commits"][-1])], converts=[], tags=tags)

    def list_repo_tree(self, repo_id: str, *, recursive: bool = False, repo_type: str | None = None) -> list[RepoFile]:
        self.calls.append(("list_repo_tree", repo_id, {"recursive": recursive, "repo_type": repo_type}))
        entries = []
        for path, data in self._repo(repo_id, repo_type)["files"].items():
            lfs = None
            if path.endswith(".safetensors"):
                lfs = {"size": len(data), "oid": hashlib.sha256(data).hexdigest(), "pointerSize": 130}
            entries.append(RepoFile(path=path, size=len(data), oid=git_hash(data), lfs=lfs))
        return entries

    def create_commit(self, repo_id: str, operations: list[Any], **kwargs: Any) -> CommitInfo:
        self.calls.append(("create_commit", repo_id, {"operations": operations, **kwargs}))
        repo = self._repo(repo_id, kwargs.get("repo_type"))
        assert kwargs.get("parent_commit") in (None, repo["commits"][-1]), "commit against a stale parent"
        for op in operations:
            if hasattr(op, "path_or_fileobj"):
                repo["files"][op.path_in_repo] = Path(op.path_or_fileobj).read_bytes()
            else:
                del repo["files"][op.path_in_repo]
        oid = self._commit(repo)
        return CommitInfo(
            commit_url=f"https://huggingface.co/{repo_id}/commit/{oid}",
            commit_message=kwargs["commit_message"],
            commit_description="",
            oid=oid,
        )

    def create_tag(self, repo_id: str, *, tag: str, revision: str | None = None, **kwargs: Any) -> None:
        self.calls.append(("create_tag", repo_id, {"tag": tag, "revision": revision, **kwargs}))
        repo = self._repo(repo_id, kwargs.get("repo_type"))
        assert tag not in repo["tags"], f"tag {tag} exists"
        repo["tags"][tag] = revision or repo["commits"][-1]

    def names(self) -> list[str]:
        """The recorded calls' method names, in order."""
        return [name for name, _, _ in self.calls]
