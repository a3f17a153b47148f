"""``python -m release``: validate every card, print the plan, and publish the release to the Hub.

Usage: ``DRY_RUN=1 python -m release`` (plan only) or ``python -m release --org my-org --only space:edgejson``
"""

from __future__ import annotations

import argparse
import os
import sys

from release.config import ReleaseError, load_release
from release.hub import publish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="release.yaml", help="the release file (default: release.yaml)")
    parser.add_argument("--org", default=os.environ.get("RELEASE_ORG"), help="Hub organisation (env RELEASE_ORG)")
    parser.add_argument(
        "--version", default=os.environ.get("RELEASE_VERSION"), help="release version (env RELEASE_VERSION)"
    )
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these repos: name, org/name or type:name")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=os.environ.get("DRY_RUN", "").lower() in ("1", "true", "yes"),
        help="print the plan without contacting the Hub (env DRY_RUN=1)",
    )
    args = parser.parse_args(argv)
    try:
        release = load_release(args.config, org=args.org, version=args.version, only=args.only)
        publish(release, dry_run=args.dry_run)
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
