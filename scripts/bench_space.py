"""Fire N concurrent extraction requests at the EdgeJSON Space and print their latencies (the queue must hold them).

Each request is one test example (a different one each, round robin over the schemas) sent through gradio_client.
Prints, per request and in summary, the end-to-end latency (submit to result), the model's own time (from the
reply's details) and so the time spent waiting in the queue, and the machine it ran on.

Usage: ``python scripts/bench_space.py [--url URL] [--model KEY] [--requests 20] [--local-model FOLDER]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import time
from itertools import zip_longest
from pathlib import Path

import psutil
from gradio_client import Client
from screenshot_space import launched_space

REPO = Path(__file__).resolve().parents[1]


def test_examples(count: int) -> list[dict]:
    """``count`` test rows, taking one schema after another."""
    by_schema: dict[str, list[dict]] = {}
    for line in (REPO / "edgejson_dataset" / "data" / "test.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        by_schema.setdefault(row["schema_id"], []).append(row)
    rounds = zip_longest(*by_schema.values())
    return [row for group in rounds for row in group if row is not None][:count]


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running Space (default: launch spaces/edgejson/app.py)")
    parser.add_argument("--model", help="model key (default: the Space's default model)")
    parser.add_argument("--local-model", help="a local model folder for the launched Space to offer and use")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--constrained", action="store_true")
    args = parser.parse_args(argv)
    app_args = ["--model", args.local_model] if args.local_model else []
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(launched_space(app_args=app_args))
        client = Client(url, verbose=False)
        api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/extract"]
        model = args.model or args.local_model or api["parameters"][2]["parameter_default"]
        rows = test_examples(args.requests)
        client.predict(rows[0]["schema"], rows[0]["text"], model, args.constrained, api_name="/extract")  # load it
        finished: dict[str, float] = {}
        started = time.perf_counter()
        jobs = {}
        for row in rows:
            job = client.submit(row["schema"], row["text"], model, args.constrained, api_name="/extract")
            job.add_done_callback(lambda _, key=row["id"]: finished.setdefault(key, time.perf_counter()))
            jobs[row["id"]] = (time.perf_counter(), job)
        results = []
        for key, (submitted, job) in jobs.items():
            _, _, details = job.result(timeout=3600)
            job.future.result()  # callbacks have run once the future is done
            results.append((key, finished[key] - submitted, details))
        wall = max(finished.values()) - started
    print(f"machine: {platform.machine()}, {psutil.cpu_count()} CPUs, {platform.platform()}")
    print(f"model: {model}; constrained decoding: {args.constrained}; {len(rows)} concurrent requests")
    print(f"{'example':36s} {'end-to-end s':>12s} {'model s':>8s} {'queued s':>9s} {'tokens':>6s}  valid")
    for key, latency, details in sorted(results, key=lambda r: r[1]):
        queued = latency - details["latency_s"]
        print(
            f"{key:36s} {latency:12.2f} {details['latency_s']:8.2f} {queued:9.2f} {details['new_tokens']:6d}  "
            f"{details['valid']}"
        )
    latencies = [latency for _, latency, _ in results]
    service = [details["latency_s"] for _, _, details in results]
    valid = sum(details["valid"] for _, _, details in results)
    print(f"{len(results)}/{len(rows)} completed in {wall:.1f} s")
    print(
        f"end-to-end latency: p50 {percentile(latencies, 50):.2f} s, p95 {percentile(latencies, 95):.2f} s, "
        f"max {max(latencies):.2f} s"
    )
    print(f"model time per request: p50 {percentile(service, 50):.2f} s; schema-valid answers {valid}/{len(results)}")


if __name__ == "__main__":
    main()
