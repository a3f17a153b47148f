"""The ``maaza`` command: ``maaza extract`` prints the JSON object extracted from a text, and exits 1 when there is
none or it is not valid against the schema (read and validated as the metric does: ``edgejson.answer``);
``maaza export`` merges an adapter into its base and builds ONNX Runtime GenAI folders (``maaza.export``).

Usage: ``maaza extract --schema contact_info --text "Reach Ana Diaz at ana@diaz.dev"``;
``maaza export --adapter maaza_models/maaza-mlm-135m-json --precision fp32 int4``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from transformers.utils import logging as hf_logging

from maaza.evaluation.results import OPTION_HELP
from maaza.inference.decoding import ENGINES, Decoding
from maaza.paths import EXPORTS, RELEASED_ADAPTER, default_adapter, default_export


def _utf8(text: str, source: str) -> str:
    """``text``; ValueError when it held bytes that are not UTF-8 (Python keeps those as lone surrogates)."""
    bad = next((i for i, char in enumerate(text) if "\ud800" <= char <= "\udfff"), None)
    if bad is not None:
        raise ValueError(f"{source} is not valid UTF-8 (character {bad}): convert it to UTF-8 first")
    return text


def _read_text(args: argparse.Namespace) -> str:
    """The text from --text, --file or stdin, checked to be UTF-8 before any model loads."""
    source = "--text" if args.text is not None else f"--file {args.file}" if args.file is not None else "stdin"
    try:
        if args.text is not None:
            text = args.text
        elif args.file is not None:
            text = Path(args.file).read_text(encoding="utf-8")
        elif sys.stdin.isatty():
            raise ValueError("no text: give it with --text, --file or on stdin")
        else:
            text = sys.stdin.read()
    except OSError as err:
        raise ValueError(f"cannot read {source}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{source} is not valid UTF-8 (byte {err.start}): convert it to UTF-8 first") from None
    return _utf8(text, source)


def _schema_name(value: str) -> str:
    """``--schema``: an id or a path, never empty (an empty path would name the working directory)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("the schema path is empty: give an EdgeJSON schema id or a JSON Schema file")
    return value


def _extract(args: argparse.Namespace) -> int:
    from edgejson.answer import schema_validator, validation_errors
    from edgejson.schemas import load_schema
    from maaza.bases import DEFAULT_BASE
    from maaza.inference.extract import Extractor, check_text

    decoding = Decoding.from_flags(args)
    text = check_text(_read_text(args))
    schema = load_schema(args.schema)
    validator = schema_validator(schema)
    if decoding.engine != "torch" and not args.model:
        raise ValueError(f"--engine {decoding.engine} needs --model: a folder made by `maaza export`")
    model = args.model or DEFAULT_BASE
    adapter = args.adapter if args.adapter is not None or args.model else default_adapter()
    with Extractor.load(model, adapter=adapter, decoding=decoding) as extractor:
        engine = f" ({extractor.engine} {extractor.precision})"
        print(f"maaza: {model}" + (f" + adapter {adapter}" if adapter else "") + engine, file=sys.stderr)
        generation = extractor.generate([(schema, text)], max_new_tokens=args.max_new_tokens)[0]
    if generation.output is None:
        why = f"{generation.failure}, generation stopped at {generation.stop}"
        print(f"maaza: the model gave no JSON object ({why}); its output was:", file=sys.stderr)
        print(generation.raw, file=sys.stderr)
        return 1
    if generation.dropped:
        ran = (("value", decoding.value_check), ("key", decoding.key_check))
        checks = " and ".join(name for name, on in ran if on)
        print(f"maaza: the {checks} check dropped {', '.join(generation.dropped)}", file=sys.stderr)
    if generation.repaired:
        print(f"maaza: the value check set {'; '.join(generation.repaired)}", file=sys.stderr)
    print(json.dumps(generation.output, ensure_ascii=False, indent=None if args.compact else 2))
    errors = validation_errors(generation.output, validator)
    if errors:
        print("maaza: the answer is not valid against the schema:", file=sys.stderr)
        print("\n".join(f"  {error}" for error in errors), file=sys.stderr)
        return 1
    return 0


def _export(args: argparse.Namespace) -> int:
    from maaza.export.build import export
    from maaza.export.info import Quantization

    out = Path(args.out) if args.out else default_export(args.adapter)
    quantization = Quantization(args.block_size, args.accuracy_level)
    for folder in export(args.model, args.adapter, out, args.precision, quantization):
        print(folder)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from maaza.bases import DEFAULT_BASE  # torch loads here, after main() chose OpenMP's waits

    parser = argparse.ArgumentParser(prog="maaza", description="Tiny models that turn text into JSON.")
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser(
        "extract",
        help="extract a JSON object that follows a schema from a text",
        description="Print the JSON object extracted from a text (--text, --file or stdin). Without --model, the "
        f"released Maaza adapter on its base is used when it is in the working directory ({RELEASED_ADAPTER}), else "
        "the base alone. Exit status 1: the model gave no JSON object, or one not valid against the schema (printed; "
        "the reasons go to stderr); 2: bad input.",
    )
    extract.add_argument(
        "--schema", required=True, type=_schema_name, help="an EdgeJSON schema id or a JSON Schema file"
    )
    source = extract.add_mutually_exclusive_group()
    source.add_argument("--text", help="the text to extract from")
    source.add_argument("--file", help="a UTF-8 file holding the text")
    extract.add_argument(
        "--model", help=f"a registered base, a local model folder or a Hub id (default {DEFAULT_BASE})"
    )
    extract.add_argument("--adapter", help="a LoRA adapter folder made for the model")
    for option in OPTION_HELP:
        extract.add_argument(f"--{option.replace('_', '-')}", action="store_true", help=OPTION_HELP[option])
    extract.add_argument(
        "--engine",
        default="torch",
        choices=ENGINES,
        help="onnx, llamacpp, browser (the page in headless Chromium): --model is a folder made by maaza export",
    )
    extract.add_argument("--max-new-tokens", type=int, help="answer budget in tokens (default: sized from the schema)")
    extract.add_argument("--compact", action="store_true", help="print compact JSON on one line")
    extract.set_defaults(run=_extract)
    _export_parser(commands)
    return parser


def _export_parser(commands: argparse._SubParsersAction) -> None:
    from maaza.bases import DEFAULT_BASE
    from maaza.export.info import PRECISIONS

    export = commands.add_parser(
        "export",
        help="merge an adapter into its base and build ONNX Runtime GenAI folders, or a GGUF folder for llama.cpp",
        description="Merge a LoRA adapter into its base (OUT/merged) and build an ONNX Runtime GenAI folder per "
        "precision for the CPU (OUT/<precision>) with onnxruntime-genai's model builder; each folder gets "
        "export_info.json and a README. Precision gguf writes OUT/gguf for llama.cpp instead: the base's own GGUF "
        "file and the adapter as a GGUF LoRA file, nothing merged. Prints the folders. Exit status 2: bad input or a "
        "failed build.",
    )
    export.add_argument("--adapter", required=True, help="the LoRA adapter folder")
    export.add_argument("--model", default=DEFAULT_BASE, help=f"the adapter's base (default {DEFAULT_BASE})")
    export.add_argument("--out", help=f"output folder (default {EXPORTS}/<adapter folder name>)")
    export.add_argument(
        "--precision",
        nargs="+",
        default=["fp32", "int4"],
        choices=PRECISIONS,
        help="default: fp32 int4; q4: the base on its own 4-bit GGUF grid (Q4_1 bases) with the adapter unmerged; "
        "gguf: for llama.cpp, the base's own GGUF file and the adapter as a GGUF LoRA file (registered bases)",
    )
    export.add_argument("--block-size", type=int, default=32, help="int4 quantization block size (default 32)")
    export.add_argument(
        "--accuracy-level",
        type=int,
        default=4,
        choices=(1, 2, 3, 4),
        help="int4 MatMul compute precision: 1 fp32, 2 fp16, 3 bf16, 4 int8 (default 4)",
    )
    export.set_defaults(run=_export)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``maaza`` command."""
    # OpenMP threads that spin while waiting make decoding up to 15x slower when other processes share the cores
    # (measured on a busy 2-core machine); waiting passively costs little when they do not. Set before torch loads
    # OpenMP, which is why nothing imported by this module imports torch.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = build_parser()
    args = parser.parse_args(argv)
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        return args.run(args)
    except ValueError as err:  # bad input: schema, model, adapter, text
        parser.exit(2, f"maaza {args.command}: error: {err}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"maaza {args.command}: interrupted\n")


if __name__ == "__main__":
    sys.exit(main())
