"""Card validation before anything is uploaded: metadata parses, required fields, numbers agree with the files.

Usage: ``staged = stage_and_validate(release)`` raises ``ReleaseError`` listing every problem as ``repo: field: what``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from huggingface_hub import DatasetCard, ModelCard, RepoCard, SpaceCard
from huggingface_hub.utils import filter_repo_objects

from maaza.adapters import adapter_hash
from maaza.evaluation.results import ResultsError, decoding_mode, file_mode, read_run
from maaza.evaluation.selection import headline
from maaza.export.info import INFO as EXPORT_INFO
from release.config import Release, ReleaseError, RepoSpec, shown

CARD = "README.md"
CARD_CLASSES: dict[str, type[RepoCard]] = {"dataset": DatasetCard, "model": ModelCard, "space": SpaceCard}
# staged files whose Hub ids must be the release's: cards, modules and their examples, the browser page's script
NAMING_HUB_IDS = (".md", ".py", ".js")


def stage_and_validate(release: Release) -> dict[RepoSpec, dict[str, Path]]:
    """Stage every repo and check its card; raises ``ReleaseError`` naming each failing repo and field."""
    staged, problems = {}, []
    notes = release.changelog.read_text(encoding="utf-8") if release.changelog.is_file() else ""
    if not re.search(rf"^#+ \[?v?{re.escape(release.version)}(?!\.?\w)", notes, re.MULTILINE):
        problems.append(f"{release.changelog.name}: no '## {release.version}' section for this version")
    for repo in release.repos:
        try:
            staged[repo] = repo.stage()
        except ReleaseError as err:
            problems.append(str(err))
            continue
        found = card_problems(repo, staged[repo], release.version) + org_problems(release, staged[repo])
        problems += [f"{repo.label}: {problem}" for problem in found]
    if problems:
        raise ReleaseError("the release stops before any upload:\n  " + "\n  ".join(problems))
    return staged


def card_problems(repo: RepoSpec, files: dict[str, Path], version: str) -> list[str]:
    """What is wrong with one repo's card, each as ``field: what`` (empty when the card is fine)."""
    if CARD not in files:
        return [f"{CARD}: missing (every repo needs its card)"]
    try:
        card = CARD_CLASSES[repo.repo_type].load(files[CARD])
    except (ValueError, yaml.YAMLError) as err:
        return [f"{CARD}: the YAML metadata does not parse: {err}".replace("\n", " ")]
    data = card.data.to_dict()
    problems = [f"{key}: missing from the card metadata" for key in repo.required if data.get(key) in (None, "", [])]
    if not re.search(rf"(?<![\d.]){re.escape(version)}(?!\w|\.\d)", card.content):
        problems.append(f"version: the card does not mention the release version {version}")
    problems += _image_problems(files, card.content)
    check = {"dataset": _dataset_problems, "model": _model_problems, "space": _space_problems}[repo.repo_type]
    return problems + check(repo, files, card)


def org_problems(release: Release, files: dict[str, Path]) -> list[str]:
    """Each Hub id of a release repo (``ORG/NAME``) that a staged card or module names in another org than the
    release's, as ``FILE line N: what``; ``ORG/NAME`` that is a folder of the project is a path, not a Hub id."""
    names = "|".join(re.escape(name) for name in sorted(release.names, key=len, reverse=True))
    hub_id = re.compile(rf"(?<![\w.-])([A-Za-z0-9][\w.-]*)/({names})(?![\w-])")
    problems = []
    for local in sorted(path for path in files.values() if path.suffix in NAMING_HUB_IDS):
        for number, line in enumerate(local.read_text(encoding="utf-8").splitlines(), 1):
            for org, name in dict.fromkeys(hub_id.findall(line)):
                if org != release.org and not (release.root / org / name).is_dir():
                    problems.append(
                        f"{shown(local)} line {number}: {org}/{name} is not in the release's org "
                        f"(write {release.org}/{name}, or set org in the release file)"
                    )
    return problems


def _image_problems(files: dict[str, Path], content: str) -> list[str]:
    """Every image the card shows from its own repo (a relative path) must be staged beside it."""
    shown = re.findall(r"!\[[^\]]*\]\(([^)\s]+)", content)
    return [
        f"{CARD}: shows {link}, which is not staged in the repo (allow it in release.yaml)"
        for link in dict.fromkeys(shown)
        if "://" not in link and link.split("#")[0].removeprefix("./") not in files
    ]


def _count_rows(path: Path) -> int:
    if path.suffix != ".jsonl":
        raise ReleaseError(f"{path}: only .jsonl data files can be counted")
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def _split_patterns(config: dict[str, Any]) -> dict[str, list[str]]:
    files = config.get("data_files", [])
    if isinstance(files, str):
        return {"train": [files]}
    patterns: dict[str, list[str]] = {}
    for item in files:
        if isinstance(item, str):
            patterns.setdefault("train", []).append(item)
        else:
            paths = item.get("path", [])
            patterns.setdefault(item.get("split", "train"), []).extend([paths] if isinstance(paths, str) else paths)
    return patterns


def _dataset_problems(repo: RepoSpec, files: dict[str, Path], card: RepoCard) -> list[str]:
    data, problems = card.data.to_dict(), []
    if f"{repo.name}.py" in files:
        problems.append(f"{repo.name}.py: datasets refuses a repo holding a script named after it; rename the file")
    configs = {c.get("config_name", "default"): c for c in data.get("configs") or []}
    infos = data.get("dataset_info") or []
    for info in [infos] if isinstance(infos, dict) else infos:
        name = info.get("config_name", "default")
        if name not in configs:
            problems.append(f"dataset_info: config {name!r} is not declared in configs")
            continue
        patterns = _split_patterns(configs[name])
        for split in info.get("splits", []):
            where = f"dataset_info[{name}].splits[{split.get('name')}].num_examples"
            matched = list(filter_repo_objects(files, allow_patterns=patterns.get(split.get("name"), [])))
            if not matched:
                problems.append(f"{where}: no staged data file belongs to this split in configs")
                continue
            rows = sum(_count_rows(files[p]) for p in matched)
            if split.get("num_examples") != rows:
                said = split.get("num_examples")
                problems.append(f"{where}: the card says {said}, {', '.join(matched)} hold {rows} rows")
    return problems


def _model_problems(repo: RepoSpec, files: dict[str, Path], card: RepoCard) -> list[str]:
    problems = []
    adapter = files.get("adapter_config.json")
    if adapter is None:
        problems.append("adapter_config.json: missing (a Maaza model repo is a PEFT adapter)")
    else:
        trained_on = json.loads(adapter.read_text(encoding="utf-8")).get("base_model_name_or_path")
        named = card.data.base_model
        if trained_on not in ([named] if isinstance(named, str) else named or []):
            problems.append(f"base_model: the card says {named!r}, adapter_config.json says {trained_on!r}")
        problems += _export_problems(files, adapter_hash(adapter.parent))
    return problems + _model_index_problems(repo, card)


def _export_problems(files: dict[str, Path], adapter_sha256: str) -> list[str]:
    """Each staged ONNX folder (``maaza export``'s ``export_info.json``) must hold the staged adapter."""
    problems = []
    for path_in_repo in sorted(p for p in files if p.endswith("/" + EXPORT_INFO)):
        built_from = json.loads(files[path_in_repo].read_text(encoding="utf-8")).get("adapter_sha256")
        if built_from != adapter_sha256:
            problems.append(
                f"{path_in_repo}: built from adapter sha256 {str(built_from)[:12]}..., the staged adapter is "
                f"{adapter_sha256[:12]}...: build it again (make export)"
            )
    return problems


def _agrees(published: Any, measured: Any) -> bool:
    """Whether a card value is the measured one, rounded to the card's decimals (as a fraction or a percentage)."""
    numbers = (published, measured)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers):
        return False
    decimals = len(repr(float(published)).split(".")[1])
    return any(round(scale * measured, decimals) == published for scale in (1, 100))


def _mode(result: Any) -> str:
    """The decoding mode of a model-index result: its source file's name says it, else its names and arguments."""
    if result.source_url:
        return file_mode(result.source_url)
    names = " ".join(
        str(v) for v in (result.task_name, result.metric_name, result.metric_config, result.dataset_config)
    ).lower()
    args = {**(result.dataset_args or {}), **(result.metric_args or {})}
    constrained = bool(args.get("constrained")) or re.search(r"(?<!un)constrained", names) is not None
    key_check = bool(args.get("key_check")) or "key check" in names
    value_check = bool(args.get("value_check")) or "value check" in names
    return decoding_mode(constrained, key_check, bool(args.get("spans")) or "spans" in names, value_check)


def _model_index_problems(repo: RepoSpec, card: RepoCard) -> list[str]:
    """Every model-index value equals its results file's score, and every results file is in the model-index."""
    if repo.results is None:
        return []
    try:
        best = headline(read_run(path) for path in sorted(repo.results.glob("*.json")))
    except ResultsError as err:
        return [f"model-index: {err}"]
    runs = {(split, mode): (run.path.name, run.scores) for (_, split, mode), run in best.items()}
    problems, seen = [], set()
    for result in card.data.eval_results or []:
        run = (result.dataset_split, _mode(result))
        where = (
            f"model-index[{result.dataset_split}{'' if run[1] == 'greedy' else ', ' + run[1]}].{result.metric_type}"
        )
        if run not in runs:
            problems.append(f"{where}: no results file for this split and decoding in {repo.results.name}/")
            continue
        seen.add(run)
        name, scores = runs[run]
        if not _agrees(result.metric_value, scores.get(result.metric_type)):
            problems.append(
                f"{where}: the card says {result.metric_value}, {name} says {scores.get(result.metric_type)}"
            )
    problems += [f"model-index: {runs[run][0]} is not reported in the card" for run in sorted(set(runs) - seen)]
    return problems


def _space_problems(repo: RepoSpec, files: dict[str, Path], card: RepoCard) -> list[str]:
    data, problems = card.data.to_dict(), []
    app_file = data.get("app_file")
    if data.get("sdk") != "static" and not data.get("sdk_version"):
        problems.append("sdk_version: missing from the card metadata")
    if data.get("app_build_command"):  # the Hub builds app_file: what the command runs must be staged
        package = json.loads(files["package.json"].read_text()) if "package.json" in files else {}
        if "build" not in package.get("scripts", {}):
            problems.append("app_build_command: no package.json with a build script is staged")
    elif app_file and app_file not in files:
        problems.append(f"app_file: {app_file} is not staged")
    if "evaluate" in (data.get("tags") or []) and f"{repo.name}.py" not in files:
        problems.append(f"name: evaluate.load('{repo.repo_id}') loads {repo.name}.py, which is not staged")
    return problems
