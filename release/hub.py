"""Compare the staged files with the Hub, print the plan, and publish: one commit and one tag per repo.

Usage: ``plans = publish(release, dry_run=True)``; a second real run finds nothing to upload and sends no commit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, SpaceCard, get_token, is_offline_mode
from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils.sha import git_hash, sha_fileobj

from release.cards import CARD, stage_and_validate
from release.config import Release, ReleaseError, RepoSpec

try:  # the Hub client's HTTP library: httpx2 since huggingface_hub 2, which exports it here; httpx before
    from huggingface_hub.utils import httpx as _http
except ImportError:
    import httpx as _http

KEEP_REMOTE = (".gitattributes",)  # created by the Hub with the repo; never deleted by a release


@dataclass
class Remote:
    """What a repo holds on the Hub: files by path, head commit, tags; ``files is None`` when it was not read."""

    files: dict[str, RepoFile] | None = None
    head: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass
class RepoPlan:
    """Per file: ``new``, ``changed``, ``unchanged``, ``deleted`` or ``unknown`` (remote not read); and the tag."""

    repo: RepoSpec
    files: dict[str, Path]
    status: dict[str, str]
    remote: Remote

    @property
    def changes(self) -> list[str]:
        return [p for p, s in self.status.items() if s in ("new", "changed", "deleted")]

    def tag_status(self, tag: str) -> str:
        if self.remote.files is None:
            return "unknown"
        return "exists" if tag in self.remote.tags else "new"


def _same(local: Path, remote: RepoFile) -> bool:
    if remote.lfs is not None:
        with local.open("rb") as handle:
            return sha_fileobj(handle).hex() == remote.lfs.sha256
    return git_hash(local.read_bytes()) == remote.blob_id


def read_remote(api: HfApi, repo: RepoSpec) -> Remote:
    """The repo's files, head and tags on the Hub (empty when the repo does not exist yet)."""
    try:
        refs = api.list_repo_refs(repo.repo_id, repo_type=repo.repo_type)
        tree = api.list_repo_tree(repo.repo_id, recursive=True, repo_type=repo.repo_type)
        files = {entry.path: entry for entry in tree if isinstance(entry, RepoFile)}
    except (RepositoryNotFoundError, RevisionNotFoundError):
        return Remote(files={}, note="the repo does not exist yet")
    head = next((b.target_commit for b in refs.branches if b.name == "main"), None)
    return Remote(files=files, head=head, tags={t.name: t.target_commit for t in refs.tags})


def plan_repo(repo: RepoSpec, files: dict[str, Path], remote: Remote) -> RepoPlan:
    """Each staged file's status against ``remote``, plus the remote files the release would delete."""
    if remote.files is None:
        return RepoPlan(repo, files, {path: "unknown" for path in files}, remote)
    status = {}
    for path, local in files.items():
        theirs = remote.files.get(path)
        status[path] = "new" if theirs is None else "unchanged" if _same(local, theirs) else "changed"
    for path in sorted(set(remote.files) - set(files) - set(KEEP_REMOTE)):
        status[path] = "deleted"
    return RepoPlan(repo, files, status, remote)


def _size(num: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if num < 1000 or unit == "GB":
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1000
    raise AssertionError("unreachable")


def format_plan(release: Release, plans: list[RepoPlan]) -> str:
    """The plan as text: per repo, every file with its size and status, then what would be sent."""
    lines = [f"Release {release.version} (tag {release.tag}): {len(plans)} repos"]
    for plan in plans:
        total = sum(p.stat().st_size for p in plan.files.values())
        counts = Counter(plan.status.values())
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        lines += ["", f"{plan.repo.label}: {len(plan.files)} files, {_size(total)} ({summary})"]
        if plan.remote.note:
            lines.append(f"  remote: {plan.remote.note}")
        for path, status in plan.status.items():
            size = _size(plan.files[path].stat().st_size) if path in plan.files else ""
            lines.append(f"  {status:<9} {size:>9}  {path}")
        if plan.remote.files is not None:
            commit = f"1 commit ({len(plan.changes)} files)" if plan.changes else "no commit (nothing changed)"
            tag = "tag exists" if plan.tag_status(release.tag) == "exists" else f"tag {release.tag}"
            lines.append(f"  -> {commit}, {tag}")
    return "\n".join(lines)


def _push(api: HfApi, release: Release, plan: RepoPlan) -> None:
    repo = plan.repo
    sdk = SpaceCard.load(plan.files[CARD]).data.sdk if repo.repo_type == "space" else None
    api.create_repo(repo.repo_id, repo_type=repo.repo_type, exist_ok=True, space_sdk=sdk)
    revision = plan.remote.head
    if plan.changes:
        operations = [
            CommitOperationDelete(p) if plan.status[p] == "deleted" else CommitOperationAdd(p, plan.files[p])
            for p in plan.changes
        ]
        commit = api.create_commit(
            repo.repo_id,
            operations,
            commit_message=f"Release {release.version}",
            repo_type=repo.repo_type,
            parent_commit=plan.remote.head,
        )
        revision = commit.oid
    if plan.tag_status(release.tag) == "new":
        api.create_tag(
            repo.repo_id,
            tag=release.tag,
            tag_message=f"Release {release.version}",
            revision=revision,
            repo_type=repo.repo_type,
        )


def publish(release: Release, dry_run: bool = False, api: HfApi | None = None) -> list[RepoPlan]:
    """Validate every card, print the plan, then (unless ``dry_run``) push each repo that differs from the Hub.

    A dry run prints the plan without contacting the Hub (every file's status is ``unknown``). Without a token, or
    when the Hub cannot be reached, only the plan is printed, and a real push then stops with ``ReleaseError``:
    nothing is sent.
    """
    staged = stage_and_validate(release)
    token = get_token()
    if not dry_run and token and is_offline_mode():
        raise ReleaseError("HF_HUB_OFFLINE is set: unset it (HF_HUB_OFFLINE=0) to publish; nothing was sent")
    api = api or HfApi(token=token)
    plans = []
    unreachable: Exception | None = None  # why the Hub could not be reached, once it could not
    for repo, files in staged.items():
        if dry_run:
            remote = Remote(note="not read (a dry run never contacts the Hub)")
        elif not token:
            remote = Remote(note="not read (no Hugging Face token)")
        elif unreachable is not None:
            remote = Remote(note="not read (the Hub could not be reached)")
        else:
            try:
                remote = read_remote(api, repo)
            except _http.TransportError as err:  # no network, no name resolution, a timeout
                unreachable, remote = err, Remote(note="not read (the Hub could not be reached)")
        plans.append(plan_repo(repo, files, remote))
    print(format_plan(release, plans), flush=True)
    if not dry_run and not token:
        raise ReleaseError("no Hugging Face token (set HF_TOKEN or run `hf auth login`): the plan above was not sent")
    if unreachable is not None:
        raise ReleaseError(f"the Hub could not be reached ({unreachable}): the plan above was not sent")
    retagged = [p.repo.repo_id for p in plans if p.changes and p.tag_status(release.tag) == "exists"]
    if retagged:
        raise ReleaseError(
            f"tag {release.tag} already exists on {', '.join(retagged)} but files differ: "
            "bump the version; nothing was sent"
        )
    if not dry_run:
        for plan in plans:
            _push(api, release, plan)
            print(f"published {plan.repo.repo_id}: {len(plan.changes)} files changed", flush=True)
    return plans
