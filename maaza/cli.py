"""The ``maaza`` command: ``maaza extract`` prints the JSON object extracted from a text.

Usage: ``maaza extract --schema contact_info --text "Reach Ana Diaz at ana@diaz.dev"``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from transformers.utils import logging as hf_logging

from maaza.bases import DEFAULT_BASE


def _read_text(args: argparse.Namespace) -> str:
    if args.text is not None:
        return args.text
    if args.file is not None:
        try:
            return Path(args.file).read_text(encoding="utf-8")
        except OSError as err:
            raise ValueError(f"cannot read --file {args.file}: {err.strerror}") from None
    if sys.stdin.isatty():
        raise ValueError("no text: give it with --text, --file or on stdin")
    return sys.stdin.read()


def _extract(args: argparse.Namespace) -> int:
    from edgejson.schemas import load_schema
    from maaza.extract import Extractor, check_text, default_adapter

    text = check_text(_read_text(args))
    schema = load_schema(args.schema)
    model = args.model or DEFAULT_BASE
    adapter = args.adapter if args.adapter is not None or args.model else default_adapter()
    extractor = Extractor.load(model, adapter=adapter, constrained=args.constrained)
    print(f"maaza: {model}" + (f" + adapter {adapter}" if adapter else ""), file=sys.stderr)
    generation = extractor.generate([(schema, text)], max_new_tokens=args.max_new_tokens)[0]
    if generation.output is None:
        print(f"maaza: the model gave no JSON object ({generation.stop}); its output was:", file=sys.stderr)
        print(generation.raw, file=sys.stderr)
        return 1
    print(json.dumps(generation.output, ensure_ascii=False, indent=None if args.compact else 2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maaza", description="Tiny models that turn text into JSON.")
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser(
        "extract",
        help="extract a JSON object that follows a schema from a text",
        description="Print the JSON object extracted from a text (--text, --file or stdin). Without --model, the "
        "released Maaza adapter on its base is used when present in this checkout, else the base alone.",
    )
    extract.add_argument("--schema", required=True, help="an EdgeJSON schema id or a JSON Schema file")
    source = extract.add_mutually_exclusive_group()
    source.add_argument("--text", help="the text to extract from")
    source.add_argument("--file", help="a UTF-8 file holding the text")
    extract.add_argument(
        "--model", help=f"a registered base, a local model folder or a Hub id (default {DEFAULT_BASE})"
    )
    extract.add_argument("--adapter", help="a LoRA adapter folder made for the model")
    extract.add_argument("--constrained", action="store_true", help="make the output follow the JSON Schema")
    extract.add_argument("--max-new-tokens", type=int, help="answer budget in tokens (default: sized from the schema)")
    extract.add_argument("--compact", action="store_true", help="print compact JSON on one line")
    extract.set_defaults(run=_extract)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``maaza`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        return args.run(args)
    except ValueError as err:  # bad input: schema, model, adapter, text
        parser.exit(2, f"maaza {args.command}: error: {err}\n")


if __name__ == "__main__":
    sys.exit(main())
