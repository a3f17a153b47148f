"""Inference benchmark: harness against the original procedure, constrained against not, xgrammar against llguidance.

On the same EdgeJSON test examples, same model, same machine, in one run (each procedure in its own process, so each
peak RSS is its own):
- original: one example at a time, up to 512 new tokens, no stop at the end of the JSON, JSON searched afterwards;
- harness: batches with left padding, answer-sized budgets, each sequence stopped when its JSON object closes;
- harness --constrained (xgrammar);
and, for the choice of engine, schema compile time over every EdgeJSON schema and per-token mask time while decoding.

Usage: ``python scripts/bench_inference.py [--model smollm2-135m-instruct] [--adapter DIR] [--examples 50]
[--batch-size 8]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from statistics import median, quantiles
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the maaza commands set it, before torch loads OpenMP

import torch  # noqa: E402
import xgrammar as xgr  # noqa: E402
from transformers import LogitsProcessor  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ORIGINAL_MAX_NEW_TOKENS = 512
SCORES = ("json_exact", "field_f1", "leaf_f1", "schema_valid", "parse_rate")


def _examples(count: int) -> list[dict[str, Any]]:
    from maaza.evaluation.examples import load_examples

    return load_examples("test")[:count]


def _p(values: list[float], q: int) -> float:
    return quantiles(values, n=20, method="inclusive")[q // 5 - 1] if len(values) > 1 else values[0]


def _score(raw: list[str], examples: list[dict[str, Any]]) -> dict[str, Any]:
    import evaluate

    result = evaluate.load(str(REPO / "metrics" / "edgejson")).compute(
        predictions=raw,
        references=[json.dumps(ex["expected"]) for ex in examples],
        schemas=[json.dumps(ex["schema"]) for ex in examples],
        return_details=True,
    )
    return {**{k: result[k] for k in SCORES}, "parsed": [d["parsed"] for d in result["details"]]}


def run_procedure(model: str, adapter: str | None, procedure: str, count: int, batch_size: int) -> dict[str, Any]:
    """One procedure on the first ``count`` test examples, in this (child) process."""
    from maaza.inference.decoding import Decoding
    from maaza.inference.extract import Extractor

    examples = _examples(count)
    decoding = Decoding(constrained=procedure == "harness-constrained")
    extractor = Extractor.load(model, adapter=adapter, decoding=decoding)
    requests = [(ex["schema"], ex["text"]) for ex in examples]
    started = time.perf_counter()
    if procedure == "original":
        raw, tokens, latencies = [], [], []
        for schema, text in requests:
            began = time.perf_counter()
            ids = torch.tensor([extractor.prompt_ids(schema, text)])
            with torch.inference_mode():
                out = extractor.model.generate(
                    ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=ORIGINAL_MAX_NEW_TOKENS,
                    do_sample=False,
                    pad_token_id=extractor.tokenizer.pad_token_id,
                )
            latencies.append(time.perf_counter() - began)
            tokens.append(out.shape[1] - ids.shape[1])
            raw.append(extractor.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))
    else:
        generations = extractor.generate(requests, batch_size=batch_size)
        raw = [g.raw for g in generations]
        tokens = [g.new_tokens for g in generations]
        latencies = [g.latency_s for g in generations]
    wall = time.perf_counter() - started
    result = {
        "procedure": procedure,
        "wall_s": wall,
        "tokens": sum(tokens),
        "tokens_per_s": sum(tokens) / wall,
        "latency_p50_s": _p(latencies, 50),
        "latency_p95_s": _p(latencies, 95),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **_score(raw, examples),
    }
    if procedure == "harness-constrained":
        result["mask_ms_per_token"] = 1000 * extractor.constraint.mask_s / sum(tokens)
        result["compile_s"] = extractor.constraint.compile_s
    return result


class _LLGuidanceProcessor(LogitsProcessor):
    """Batch-1 llguidance masking, for the engine comparison only (bitmasks share xgrammar's layout)."""

    def __init__(self, matcher, vocab_size: int):
        self.matcher, self.started, self.seconds = matcher, False, 0.0
        self.bitmask = xgr.allocate_token_bitmask(1, vocab_size)

    def __call__(self, input_ids, scores):
        import llguidance.torch

        began = time.perf_counter()
        if self.started:
            assert self.matcher.consume_token(int(input_ids[0, -1]))
        self.started = True
        llguidance.torch.fill_next_token_bitmask(self.matcher, self.bitmask, 0)
        xgr.apply_token_bitmask_inplace(scores, self.bitmask)
        self.seconds += time.perf_counter() - began
        return scores


class _XGrammarProcessor(_LLGuidanceProcessor):
    def __call__(self, input_ids, scores):
        began = time.perf_counter()
        if self.started:
            assert self.matcher.accept_token(int(input_ids[0, -1]))
        self.started = True
        self.matcher.fill_next_token_bitmask(self.bitmask, 0)
        xgr.apply_token_bitmask_inplace(scores, self.bitmask)
        self.seconds += time.perf_counter() - began
        return scores


def compare_engines(model: str, count: int) -> dict[str, Any]:
    """Per engine: compile time over every EdgeJSON schema, per-token mask time over ``count`` examples (batch 1)."""
    import llguidance
    import llguidance.hf
    from transformers import StoppingCriteriaList

    from edgejson.schemas import load_schema, schema_ids
    from maaza.inference.extract import Extractor
    from maaza.inference.jsonscan import ObjectScanner

    extractor = Extractor.load(model)
    tokenizer, vocab = extractor.tokenizer, extractor.model.config.vocab_size
    xgr_compiler = xgr.GrammarCompiler(
        xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab), cache_enabled=False
    )
    ll_tokenizer = llguidance.hf.from_tokenizer(tokenizer, n_vocab=vocab)
    engines = {
        "xgrammar": lambda s: xgr.GrammarMatcher(
            xgr_compiler.compile_json_schema(json.dumps(s), any_whitespace=False, separators=(",", ":"))
        ),
        "llguidance": lambda s: llguidance.LLMatcher(
            ll_tokenizer, llguidance.LLMatcher.grammar_from_json_schema(s, defaults={"whitespace_flexible": False})
        ),
    }
    processors = {"xgrammar": _XGrammarProcessor, "llguidance": _LLGuidanceProcessor}
    out = {}
    for name, make in engines.items():
        compile_ms = []
        for schema_id in schema_ids():
            began = time.perf_counter()
            make(load_schema(schema_id))
            compile_ms.append(1000 * (time.perf_counter() - began))
        mask_s, tokens, step_s = 0.0, 0, 0.0
        for ex in _examples(count):
            processor = processors[name](make(ex["schema"]), vocab)
            ids = torch.tensor([extractor.prompt_ids(ex["schema"], ex["text"])])
            scanner = ObjectScanner()

            def closed(input_ids, scores, scanner=scanner, **kwargs):
                return torch.tensor([scanner.feed(tokenizer.decode(input_ids[0, -1:]))])

            began = time.perf_counter()
            with torch.inference_mode():
                result = extractor.model.generate(
                    ids,
                    attention_mask=torch.ones_like(ids),
                    do_sample=False,
                    max_new_tokens=extractor.budget(ex["schema"], ex["text"]),
                    logits_processor=[processor],
                    stopping_criteria=StoppingCriteriaList([closed]),
                    pad_token_id=tokenizer.pad_token_id,
                )
            step_s += time.perf_counter() - began
            mask_s += processor.seconds
            tokens += result.shape[1] - ids.shape[1]
        out[name] = {
            "compile_ms_median": median(compile_ms),
            "compile_ms_max": max(compile_ms),
            "schemas": len(compile_ms),
            "mask_ms_per_token": 1000 * mask_s / tokens,
            "decode_ms_per_token": 1000 * step_s / tokens,
            "tokens": tokens,
        }
    return out


def _in_child(function, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--adapter", help="a LoRA adapter folder on the model (default: the model alone)")
    parser.add_argument("--examples", type=int, default=50, help="first N test examples (default 50)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--engine-examples", type=int, default=5, help="examples decoded per engine (default 5)")
    args = parser.parse_args()
    model = args.model + (f" + {args.adapter}" if args.adapter else "")
    print(f"{model}, first {args.examples} EdgeJSON test examples, batch size {args.batch_size}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}")

    results = {}
    for procedure in ("original", "harness", "harness-constrained"):
        results[procedure] = result = _in_child(
            run_procedure, args.model, args.adapter, procedure, args.examples, args.batch_size
        )
        print(
            f"{procedure:<20} {result['wall_s']:8.1f} s  {result['tokens']:6d} tokens  "
            f"{result['tokens_per_s']:6.1f} tokens/s  latency p50 {result['latency_p50_s']:6.2f} s "
            f"p95 {result['latency_p95_s']:6.2f} s  peak RSS {result['peak_rss_mb']:6.0f} MB  "
            + "  ".join(f"{k} {result[k]:.3f}" for k in SCORES),
            flush=True,
        )
    original, harness, constrained = results["original"], results["harness"], results["harness-constrained"]
    same = sum(a == b for a, b in zip(original["parsed"], harness["parsed"], strict=True))
    print(f"harness wall time: {original['wall_s'] / harness['wall_s']:.1f}x less than the original procedure")
    print(
        f"scores equal: {all(original[k] == harness[k] for k in SCORES)} "
        f"(same parsed output on {same} of {args.examples} examples)"
    )
    print(
        f"constrained: {constrained['wall_s'] / harness['wall_s']:.2f}x the unconstrained wall time, "
        f"{constrained['mask_ms_per_token']:.3f} ms of masking per token, {constrained['compile_s']:.2f} s compiling"
    )
    engines = _in_child(compare_engines, args.model, args.engine_examples)
    for name, e in engines.items():
        print(
            f"{name:<11} compile median {e['compile_ms_median']:7.2f} ms, max {e['compile_ms_max']:7.2f} ms "
            f"({e['schemas']} schemas); mask {e['mask_ms_per_token']:.3f} ms/token "
            f"of {e['decode_ms_per_token']:.1f} ms/token decoding ({e['tokens']} tokens)"
        )


if __name__ == "__main__":
    main()
