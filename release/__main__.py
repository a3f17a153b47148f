"""``python -m release``: validate every card, print the plan, and publish the release to the Hub.

Usage: ``DRY_RUN=1 python -m release`` (plan only) or ``python -m release --org my-org --only space:edgejson``
"""

from __future__ import annotations

import argparse
import os
import sys

from release.config import RELEASE_FILE, ReleaseError, load_release
from release.hub import publish

# DRY_RUN's values. Any other is refused rather than guessed: a typo must neither publish nor silently skip a publish.
DRY_RUN_ON, DRY_RUN_OFF = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def _dry_run_from_env() -> bool:
    """Whether ``DRY_RUN`` asks for a dry run; ``ReleaseError`` for a value that is neither on nor off."""
    value = os.environ.get("DRY_RUN", "").strip().lower()
    if value not in DRY_RUN_ON + DRY_RUN_OFF:
        on, off = ", ".join(DRY_RUN_ON), ", ".join(v or "empty" for v in DRY_RUN_OFF)
        raise ReleaseError(f"DRY_RUN={os.environ['DRY_RUN']!r} is neither on ({on}) nor off ({off}): nothing was sent")
    return value in DRY_RUN_ON


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=RELEASE_FILE, help=f"the release file (default: {RELEASE_FILE})")
    parser.add_argument("--org", default=os.environ.get("RELEASE_ORG"), help="Hub organisation (env RELEASE_ORG)")
    parser.add_argument(
        "--version", default=os.environ.get("RELEASE_VERSION"), help="release version (env RELEASE_VERSION)"
    )
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these repos: name, org/name or type:name")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan without contacting the Hub (env DRY_RUN=1)"
    )
    args = parser.parse_args(argv)
    try:
        dry_run = args.dry_run or _dry_run_from_env()
        release = load_release(args.config, org=args.org, version=args.version, only=args.only)
        publish(release, dry_run=dry_run)
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
