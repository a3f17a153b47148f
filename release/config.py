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
RELEASE_FILE = Path("release.yaml")  # relative to the working directory: a clone's root, as make runs it
URL_PREFIX = {"dataset": "datasets/", "model": "", "space": "spaces/"}


class ReleaseError(Exception):
    """The release cannot go ahead; the message says which repo and what is wrong. Nothing has been sent."""


def shown(path: Path) -> str:
    """``path`` relative to the working directory when it is under it, as messages name it."""
    return str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)


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

    @property
    def url(self) -> str:
        return f"https://huggingface.co/{URL_PREFIX[self.repo_type]}{self.repo_id}"

    def stage(self) -> dict[str, Path]:
        """Map each path in the repo to its local file; raises ``ReleaseError`` for a missing folder or file."""
        staged: dict[str, Path] = {}
        for source in self.sources:
            if not source.folder.is_dir():
                built = f": `{source.built_by}` builds it" if source.built_by else ""
                raise ReleaseError(f"{self.label}: folder {shown(source.folder)}/ does not exist{built}")
            local = {p.relative_to(source.folder).as_posix(): p for p in source.folder.rglob("*") if p.is_file()}
            kept = sorted(
                filter_repo_objects(local, allow_patterns=list(source.allow), ignore_patterns=list(self.ignore))
            )
            for pattern in source.allow:
                if not any(filter_repo_objects(kept, allow_patterns=[pattern])):
                    raise ReleaseError(f"{self.label}: no file in {shown(source.folder)}/ matches {pattern!r}")
            for rel in kept:
                path_in_repo = f"{source.to}/{rel}" if source.to else rel
                if path_in_repo in staged:
                    raise ReleaseError(f"{self.label}: {path_in_repo} is staged twice")
                staged[path_in_repo] = local[rel]
        return staged


@dataclass(frozen=True)
class Release:
    """Every repo of one versioned release (``repos``: those ``only`` kept; ``names``: every repo's in the file)."""

    org: str
    version: str
    tag: str
    repos: tuple[RepoSpec, ...]
    names: tuple[str, ...]
    changelog: Path  # release notes: must hold a section for ``version``
    root: Path  # the release file's folder, which its folders are relative to


def project_version(pyproject: Path) -> str:
    """The ``[project] version`` of a pyproject.toml."""
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]


def _field(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise ReleaseError(f"{where}: missing field {key!r}")
    return entry[key]


def _repo_spec(
    entry: dict[str, Any], where: str, org: str, root: Path, required: dict[str, list[str]], ignore: tuple[str, ...]
) -> RepoSpec:
    """One ``repos`` entry of the release file, its folders relative to ``root``."""
    repo_type = _field(entry, "type", where)
    if repo_type not in REPO_TYPES:
        raise ReleaseError(f"{where}: type {repo_type!r} is not one of {', '.join(REPO_TYPES)}")
    sources = tuple(
        Source(root / _field(s, "folder", where), s.get("to", ""), tuple(_field(s, "allow", where)), s.get("built_by"))
        for s in _field(entry, "sources", where)
    )
    results = entry.get("results")
    return RepoSpec(
        repo_id=f"{org}/{_field(entry, 'name', where)}",
        repo_type=repo_type,
        sources=sources,
        ignore=ignore,
        required=tuple(required.get(repo_type, [])),
        results=root / results if results else None,
    )


def load_release(
    path: str | Path = RELEASE_FILE,
    org: str | None = None,
    version: str | None = None,
    only: list[str] | None = None,
) -> Release:
    """Read ``release.yaml``; ``org``/``version`` override it, ``only`` keeps the repos named so (see ``keys``).

    The one reader of the release file: ``python -m release`` and ``python -m release.model_card`` both use it.
    """
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
    required, ignore = _field(config, "required", str(path)), tuple(config.get("ignore", []))
    repos = [
        _repo_spec(entry, f"{path}: repos[{i}]", org, root, required, ignore)
        for i, entry in enumerate(_field(config, "repos", str(path)))
    ]
    names = tuple(dict.fromkeys(repo.name for repo in repos))
    if only:
        unknown = set(only) - {key for r in repos for key in r.keys}
        if unknown:
            raise ReleaseError(f"{path}: no repo named {', '.join(sorted(unknown))}")
        repos = [r for r in repos if set(r.keys) & set(only)]
    tag = _field(config, "tag", str(path)).format(version=version)
    changelog = root / _field(config, "changelog", str(path))
    return Release(org, version, tag, tuple(repos), names, changelog, root)
