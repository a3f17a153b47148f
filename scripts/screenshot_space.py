"""Open the EdgeJSON Space in a headless browser, check the leaderboard shows the committed rows, save screenshots.

Uses Debian's Chromium (``apt-get install chromium``) driven by Playwright. Launches ``spaces/edgejson/app.py``
unless ``--url`` names a running Space. With ``--model``, also runs one extraction on a test example with it.
Prints a JSON summary (the model names in the leaderboard by default and with *Show all runs*, in the reference table,
the extraction's verdict) and exits 1 when the rows of all runs are not those of the committed results files, or the
default rows not some of them.

Usage: ``python scripts/screenshot_space.py [--url URL] [--model KEY] [--out-dir screenshots]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from maaza.evaluation.results import read_run, results_files
from maaza.evaluation.selection import headline

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "spaces" / "edgejson" / "app.py"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str | None:
    """The system Chromium's path, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def launched_space(timeout_s: float = 300, app_args: list[str] = ()) -> Iterator[str]:
    """Run the Space as ``make demo`` does (plus ``app_args``) and yield its local URL; stop it afterwards."""
    with tempfile.TemporaryFile("w+") as log:
        command = [sys.executable, str(APP), *app_args]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                log.seek(0)
                console = log.read()
                if found := re.search(r"Running on local URL:\s+(\S+)", console):
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the Space did not start:\n{console[-3000:]}")
                time.sleep(0.5)
            yield found.group(1)
        finally:
            process.terminate()
            process.wait(timeout=30)


def committed_models(results_dir: Path) -> list[str]:
    """One model name per headline run of ``test`` on any engine (see ``maaza.evaluation.selection.headline``), as the
    leaderboard shows them, read from the files."""
    best = headline((read_run(path) for path in results_files(results_dir)), engines=None)
    return [label for label, split, _ in best if split == "test"]


def first_column(page: Page, table_id: str) -> list[str]:
    """The first column of a table of the Leaderboard tab, as displayed: the table renders only the rows near its
    scrolled window, so its viewport is scrolled to the end and each row read by its index."""
    page.get_by_role("tab", name="Leaderboard").click()
    table = page.locator(f"#{table_id}")
    table.wait_for(state="visible")
    page.wait_for_timeout(500)
    viewport = table.locator(".virtual-table-viewport").first
    cells: dict[int, str] = {}
    while True:
        for row in table.locator("[role=row][data-index]").all():
            cells[int(row.get_attribute("data-index"))] = row.locator("[role=gridcell]").first.inner_text().strip()
        if viewport.count() == 0 or viewport.evaluate("v => v.scrollTop + v.clientHeight >= v.scrollHeight - 1"):
            return [cells[index] for index in sorted(cells)]
        viewport.evaluate("v => { v.scrollTop += v.clientHeight / 2; }")
        page.wait_for_timeout(300)


def show_all_runs(page: Page) -> None:
    """Tick *Show all runs* and wait for the table of every run (its Engine column)."""
    page.get_by_role("tab", name="Leaderboard").click()
    page.get_by_label("Show all runs").check()
    page.locator("#leaderboard").get_by_role("columnheader", name=re.compile("^Engine")).first.wait_for()


def run_extraction(page: Page, model: str, timeout_s: float) -> str:
    """Load the first example of the selected schema, extract with ``model``, return the verdict's text."""
    page.get_by_role("tab", name="Extract").click()
    page.get_by_role("combobox", name="Example from the test split").click()
    page.get_by_role("option").first.click()
    page.get_by_role("combobox", name="Model").click()
    page.get_by_role("option").filter(has_text=f"{model} · ").first.click()
    page.get_by_role("button", name="Extract").click()
    verdict = page.locator("#verdict")
    verdict.get_by_text(re.compile("schema")).wait_for(timeout=timeout_s * 1000)
    return verdict.inner_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running Space (default: launch spaces/edgejson/app.py)")
    parser.add_argument("--model", help="also run one extraction with this model key")
    parser.add_argument("--out-dir", type=Path, default=REPO / "screenshots")
    parser.add_argument("--results-dir", type=Path, default=REPO / "results", help="the results the Space shows")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the Space and the extraction")
    args = parser.parse_args(argv)
    browser_path = chromium()
    if browser_path is None:
        raise SystemExit("Chromium is not installed: apt-get update && apt-get install -y chromium")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    summary: dict = {}
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(launched_space(args.timeout))
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_FLAGS)
        stack.callback(browser.close)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(url, wait_until="networkidle")
        if args.model:
            summary["verdict"] = run_extraction(page, args.model, args.timeout)
            page.screenshot(path=args.out_dir / "space-extract.png", full_page=True)
        summary["leaderboard"] = first_column(page, "leaderboard")
        summary["reference"] = first_column(page, "reference")
        page.screenshot(path=args.out_dir / "space.png", full_page=True)
        show_all_runs(page)
        summary["all_runs"] = first_column(page, "leaderboard")
        page.screenshot(path=args.out_dir / "space-all-runs.png", full_page=True)
    summary["committed"] = committed_models(args.results_dir)
    summary["screenshots"] = sorted(str(p) for p in args.out_dir.glob("space*.png"))
    print(json.dumps(summary, indent=2))
    missing = sorted(set(summary["committed"]) - set(summary["all_runs"]))
    if missing or len(summary["all_runs"]) != len(summary["committed"]):
        print(f"all runs are not the committed rows; missing: {missing}", file=sys.stderr)
        return 1
    if not set(summary["leaderboard"]) <= set(summary["committed"]):
        print("the default rows are not committed rows", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
