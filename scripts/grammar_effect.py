"""The browser page's constraint by itself: llama.cpp's grammar from the JSON Schema, against greedy, on the same rows.

The page constrains decoding with llama.cpp's ``json_schema`` grammar. This script applies that rule natively
(llama-cpp-python's ``LlamaGrammar.from_json_schema``, a port of llama.cpp's converter; the wasm runs the C++ one) on a
GGUF folder, to the examples of a greedy llamacpp results file, with the same prompts and budgets, and prints per split
the JSONExact of both and the examples the grammar fixed and broke. Native llama.cpp is used for speed: the page's
greedy answers equal it (``test-browser-gguf-q8-first50.json``: 49 of 50 parsed as PyTorch's).

Usage: ``python scripts/grammar_effect.py results/maaza-mlm-135m-json/test_unseen-llamacpp-gguf-first40.json ...``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import evaluate
from tqdm.auto import tqdm

from maaza.evaluation.examples import load_examples
from maaza.evaluation.harness import score_answers
from maaza.evaluation.results import read_run
from maaza.inference.decoding import Decoding
from maaza.inference.extract import Extractor
from maaza.paths import default_metric


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("greedy", nargs="+", type=Path, help="greedy llamacpp results files (their examples are used)")
    parser.add_argument("--gguf", default="exports/maaza-mlm-135m-json/gguf", help="the GGUF folder they ran on")
    args = parser.parse_args()
    from llama_cpp import LlamaGrammar

    extractor = Extractor.load(args.gguf, decoding=Decoding(engine="llamacpp"))
    llm, metric = extractor.model.llm, evaluate.load(str(default_metric()))
    summary = {}
    for path in args.greedy:
        run = read_run(path)
        rows = {row["id"]: row for row in load_examples(run.dataset.split)}
        examples = [rows[example["id"]] for example in run.examples]
        answers = []
        for ex in tqdm(examples, desc=path.name):
            prompt = extractor.prompt_ids(ex["schema"], ex["text"])
            grammar = LlamaGrammar.from_json_schema(json.dumps(ex["schema"]), verbose=False)
            out = llm.create_completion(
                prompt, max_tokens=extractor.budget(ex["schema"], ex["text"]), temperature=0.0, top_k=1,
                repeat_penalty=1.0, grammar=grammar,
            )  # fmt: skip
            answers.append(out["choices"][0]["text"])
        scores = score_answers(metric, examples, answers)
        greedy = [example["scores"]["json_exact"] == 1 for example in run.examples]
        grammar_exact = [detail["json_exact"] == 1 for detail in scores["details"]]
        summary[run.dataset.name] = {
            "examples": len(examples),
            "greedy_json_exact": sum(greedy) / len(greedy),
            "grammar_json_exact": scores["json_exact"],
            "grammar_schema_valid": scores["schema_valid"],
            "fixed": sum(g and not b for g, b in zip(grammar_exact, greedy, strict=True)),
            "broken": sum(b and not g for g, b in zip(grammar_exact, greedy, strict=True)),
        }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
