"""The released build in the browser against PyTorch, on the same examples and machine, in one run.

Runs the browser page (``spaces/edgejson-browser``, built) in headless Chromium on a GGUF folder made by ``maaza export
--precision gguf-q8``, constrained to the schema as the page decodes, on the first N examples of a split; then PyTorch
greedy on the adapter, on the same examples, one request at a time as the page runs them. Each writes its results
file (engine ``browser``, and torch); the script prints both side by side with how many answers are the same, and
the download the page needs.

Usage: ``python scripts/bench_browser.py [--gguf exports/maaza-mlm-135m-json/gguf-q8] [--limit 50]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from maaza.evaluation.harness import evaluate_model
from maaza.inference.decoding import Decoding
from maaza.inference.gguf_model import gguf_files
from maaza.paths import RESULTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gguf", default="exports/maaza-mlm-135m-json/gguf-q8", help="the GGUF folder the page loads")
    parser.add_argument("--adapter", default="maaza_models/maaza-mlm-135m-json", help="the same adapter, for PyTorch")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=50, help="the first N examples of the split")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args()

    info, base, lora = gguf_files(args.gguf)
    runs = {}
    for name, model, adapter, decoding in (
        ("browser", args.gguf, None, Decoding(engine="browser", constrained=True)),
        ("pytorch", info.base, args.adapter, Decoding(batch_size=1)),  # one request at a time, as the page serves
    ):
        runs[name], path = evaluate_model(
            model, adapter, split=args.split, decoding=decoding, limit=args.limit, results_dir=args.results_dir
        )
        print(f"{name}: {path}", flush=True)
    browser, torch = (runs[name] for name in ("browser", "pytorch"))
    same = sum(
        a["parsed"] == b["parsed"] for a, b in zip(browser.examples, torch.examples, strict=True) if a["id"] == b["id"]
    )
    summary = {
        "examples": len(browser.examples),
        "download_mb": round((base.stat().st_size + lora.stat().st_size) / 1e6, 1),
        "same_answer": same,
        **{
            name: {
                "json_exact": run.scores["json_exact"],
                "schema_valid": run.scores["schema_valid"],
                "tokens_per_s": run.performance["tokens_per_s"],
                **(
                    {"decode_tokens_per_s": run.performance["browser"]["decode_tokens_per_s"]}
                    if name == "browser"
                    else {}
                ),
            }
            for name, run in runs.items()
        },
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
