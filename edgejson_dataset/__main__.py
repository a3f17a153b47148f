"""Command line: ``python -m edgejson_dataset build [--seed N] [--out DIR] [--sizes SPLIT=N ...]`` and ``preview``.

Usage: ``python -m edgejson_dataset build`` (rewrites ``edgejson_dataset/data`` and the card), ``... preview``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from edgejson_dataset.build import (
    DATASET_DIR,
    DEFAULT_SEED,
    DEFAULT_SIZES,
    GENERATED_CONFIGS,
    SPLITS,
    generate,
    generate_generated,
    write,
)
from edgejson_dataset.card import make_card


def _size(text: str) -> tuple[str, int]:
    split, _, number = text.partition("=")
    if split not in SPLITS or not number.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: write SPLIT=N with SPLIT one of {', '.join(SPLITS)}")
    return split, int(number)


def _generated_size(text: str) -> tuple[str, tuple[int, int]]:
    split, _, shape = text.partition("=")
    schemas, _, per_schema = shape.partition("x")
    splits = GENERATED_CONFIGS["generated"]
    if split not in splits or not (schemas.isdigit() and per_schema.isdigit()) or int(schemas) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write SPLIT=SCHEMASxROWS with SPLIT one of {', '.join(splits)}, e.g. train=360x10"
        )
    return split, (int(schemas), int(per_schema))


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: the seed must be a non-negative integer")
    return int(text)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m edgejson_dataset", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="generate, validate and write the splits and the card")
    build.add_argument("--seed", type=_seed, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    build.add_argument("--out", type=Path, default=DATASET_DIR, help="dataset folder to write (default: this one)")
    sizes = " ".join(f"{k}={v}" for k, v in DEFAULT_SIZES.items())
    build.add_argument("--sizes", type=_size, nargs="+", default=[], metavar="SPLIT=N", help=f"default: {sizes}")
    for config, default in GENERATED_CONFIGS.items():
        shapes = " ".join(f"{k}={n}x{r}" for k, (n, r) in default.items())
        build.add_argument(
            f"--{config}",
            type=_generated_size,
            nargs="+",
            default=[],
            metavar="SPLIT=SCHEMASxROWS",
            help=f"the {config} config: schemas and rows per schema of a split (default: {shapes})",
        )
    preview = commands.add_parser("preview", help="print counts and a few examples (builds the data if missing)")
    preview.add_argument("--examples", type=int, default=3, help="examples shown side by side (default 3)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "build":
        if args.out.exists() and not args.out.is_dir():
            print(f"error: --out {args.out} is a file; give a folder (created when missing)", file=sys.stderr)
            return 1
        start = time.perf_counter()
        try:
            rows = generate(args.seed, dict(args.sizes))
            texts = {row["text"] for split_rows in rows.values() for row in split_rows}
            generated = {
                config: generate_generated(args.seed, default | dict(getattr(args, config)), texts, config)
                for config, default in GENERATED_CONFIGS.items()
            }
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        write(rows, args.out, make_card(rows, args.seed, generated), generated)
        total = sum(len(r) for r in rows.values()) + sum(len(r) for c in generated.values() for r in c.values())
        print(f"wrote {total} rows to {args.out / 'data'} and the card in {time.perf_counter() - start:.1f} s")
        return 0
    from edgejson_dataset.preview import preview

    preview(examples=args.examples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
