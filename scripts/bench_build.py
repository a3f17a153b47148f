"""Time a full EdgeJSON build (generate, validate, write data and card) into a temporary folder.

Usage: ``python scripts/bench_build.py [--repeats 3]``; prints the machine, each run's seconds and the best.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import faker

from edgejson_dataset.build import DEFAULT_SEED, generate, write
from edgejson_dataset.card import make_card


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--repeats", type=int, default=3, help="builds to time (default 3)")
    repeats = args.parse_args().repeats
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
    print(f"machine: {machine}, Python {platform.python_version()}, Faker {faker.VERSION}")
    times = []
    for n in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            rows = generate(DEFAULT_SEED)
            write(rows, Path(tmp), make_card(rows, DEFAULT_SEED))
            times.append(time.perf_counter() - start)
        total = sum(len(r) for r in rows.values())
        print(f"run {n + 1}: {total} rows in {times[-1]:.2f} s ({total / times[-1]:.0f} rows/s)")
    print(f"best of {repeats}: {min(times):.2f} s for the whole dataset (budget 60 s)")


if __name__ == "__main__":
    main()
