"""Where the Space finds the release's files: beside app.py once published, at the repository root in a clone.

Usage: ``results = find_dir("results")``
"""

from __future__ import annotations

from pathlib import Path

SPACE_DIR = Path(__file__).resolve().parent
ROOTS = (SPACE_DIR, SPACE_DIR.parent.parent)  # the published Space repo, then the clone's root


def find_dir(name: str) -> Path | None:
    """The first existing ``<root>/<name>`` folder, or None."""
    return next((root / name for root in ROOTS if (root / name).is_dir()), None)
