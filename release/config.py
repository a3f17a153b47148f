"""The release plan's input: ``release.yaml`` (which repos, from which folders) and staging a repo's files.

Usage: ``release = load_release("release.yaml"); files = release.repos[0].stage()``
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib
import yaml
from huggingface_hub.utils import filter_repo_objects
from packaging.version import InvalidVersion, Version

REPO_TYPES = ("dataset", "model", "space")


class ReleaseError(Exception):
    """The release cannot go ahead; the message says which repo and what is wrong. Nothing has been sent."""


def _shown(folder: Path) -> str:
    return f"{folder.relative_to(Path.cwd()) if folder.is_relative_to(Path.cwd()) else folder}/"


@dataclass(frozen=True)
class Source:
    """Files of one local folder staged under ``to`` in the repo: those matching ``allow``, less the ignored ones.
    ``built_by``: the command that builds the folder when git does not hold it (``make export``)."""

    folder: Path
    to: str
    allow: tuple[str, ...]
    built_by: str | None = None


@dataclass(frozen=True)
class RepoSpec:
    """One Hub repo of the release."""

    repo_id: str
    repo_type: str
    sources: tuple[Source, ...]
    ignore: tuple[str, ...]
    required: tuple[str, ...]
    results: Path | None = None

    @property
    def name(self) -> str:
        return self.repo_id.split("/", 1)[1]

    @property
    def keys(self) -> tuple[str, ...]:
        """What ``--only`` accepts: ``name``, ``org/name`` or ``type:name`` (tells the dataset and Space apart)."""
        return (self.name, self.repo_id, f"{self.repo_type}:{self.name}")

    @property
    def label(self) -> str:
        """``type org/name``: a repo id alone is ambiguous (the dataset and the metric Space share one)."""
        return f"{self.repo_type} {self.repo_id}"

    def stage(self) -> dict[str, Path]:
        """Map each path in the repo to its local file; raises ``ReleaseError`` for a missing folder or file."""
        staged: dict[str, Path] = {}
        for source in self.sources:
            if not source.folder.is_dir():
                built = f": `{source.built_by}` builds it" if source.built_by else ""
                raise ReleaseError(f"{self.label}: folder {_shown(source.folder)} does not exist{built}")
            local = {p.relative_to(source.folder).as_posix(): p for p in source.folder.rglob("*") if p.is_file()}
            kept = sorted(
                filter_repo_objects(local, allow_patterns=list(source.allow), ignore_patterns=list(self.ignore))
            )
            for pattern in source.allow:
                if not any(filter_repo_objects(kept, allow_patterns=[pattern])):
                    raise ReleaseError(f"{self.label}: no file in {_shown(source.folder)} matches {pattern!r}")
            for rel in kept:
                path_in_repo = f"{source.to}/{rel}" if source.to else rel
                if path_in_repo in staged:
                    raise ReleaseError(f"{self.label}: {path_in_repo} is staged twice")
                staged[path_in_repo] = local[rel]
        return staged


@dataclass(frozen=True)
class Release:
    """Every repo of one versioned release."""

    version: str
    tag: str
    repos: tuple[RepoSpec, ...]
    changelog: Path  # release notes: must hold a section for ``version``


def project_version(pyproject: Path) -> str:
    """The ``[project] version`` of a pyproject.toml."""
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]


def _field(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise ReleaseError(f"{where}: missing field {key!r}")
    return entry[key]


def load_release(
    path: str | Path = "release.yaml",
    org: str | None = None,
    version: str | None = None,
    only: list[str] | None = None,
) -> Release:
    """Read ``release.yaml``; ``org``/``version`` override it, ``only`` keeps the repos named so (see ``keys``)."""
    path = Path(path)
    if not path.is_file():
        raise ReleaseError(f"{path}: no such release file")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ReleaseError(f"{path}: not valid YAML: {err}") from None
    root = path.resolve().parent
    org = org or _field(config, "org", str(path))
    version = version or project_version(root / "pyproject.toml")
    try:
        Version(version)
    except InvalidVersion:
        raise ReleaseError(f"{path}: version {version!r} is not a valid version (e.g. 0.1.0)") from None
    required = _field(config, "required", str(path))
    repos = []
    for i, entry in enumerate(_field(config, "repos", str(path))):
        where = f"{path}: repos[{i}]"
        repo_type = _field(entry, "type", where)
        if repo_type not in REPO_TYPES:
            raise ReleaseError(f"{where}: type {repo_type!r} is not one of {', '.join(REPO_TYPES)}")
        sources = tuple(
            Source(
                root / _field(s, "folder", where), s.get("to", ""), tuple(_field(s, "allow", where)), s.get("built_by")
            )
            for s in _field(entry, "sources", where)
        )
        results = entry.get("results")
        repos.append(
            RepoSpec(
                repo_id=f"{org}/{_field(entry, 'name', where)}",
                repo_type=repo_type,
                sources=sources,
                ignore=tuple(config.get("ignore", [])),
                required=tuple(required.get(repo_type, [])),
                results=root / results if results else None,
            )
        )
    if only:
        unknown = set(only) - {key for r in repos for key in r.keys}
        if unknown:
            raise ReleaseError(f"{path}: no repo named {', '.join(sorted(unknown))}")
        repos = [r for r in repos if set(r.keys) & set(only)]
    tag = _field(config, "tag", str(path)).format(version=version)
    changelog = root / _field(config, "changelog", str(path))
    return Release(version=version, tag=tag, repos=tuple(repos), changelog=changelog)
