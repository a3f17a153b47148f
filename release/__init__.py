"""Release machinery for EdgeJSON + Maaza: stage each Hub repo, validate its card, print the plan, publish.

Usage: ``python -m release [--dry-run] [--org ORG] [--version X.Y.Z] [--only NAME ...]`` (``make push``)
"""

from release.cards import card_problems, stage_and_validate
from release.config import Release, ReleaseError, RepoSpec, load_release
from release.hub import RepoPlan, format_plan, publish

__all__ = [
    "Release",
    "ReleaseError",
    "RepoPlan",
    "RepoSpec",
    "card_problems",
    "format_plan",
    "load_release",
    "publish",
    "stage_and_validate",
]
