"""The Space in a real headless browser (Debian's Chromium, driven by Playwright): skipped when Chromium is absent."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from maaza.evaluation.results import read_run, results_files
from maaza.evaluation.selection import headline
from release.config import load_release

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get update && apt-get install -y chromium)"
)
REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "screenshot_space.py"


def test_page_loads_shows_the_committed_rows_and_is_screenshotted(space, tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--url", space["url"], "--model", space["model"], "--out-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert sorted(summary["all_runs"]) == sorted(summary["committed"])
    released = {repo.results.name for repo in load_release(REPO / "release.yaml").repos if repo.results}
    best = headline(read_run(path) for path in results_files(REPO / "results"))
    baselines = {label for (label, _, _), run in best.items() if not run.model.adapter}
    assert set(summary["leaderboard"]) == released | baselines  # older releases and ONNX builds: all runs only
    reference = json.loads((REPO / "results" / "reference" / "edgejson-v3.json").read_text())
    assert summary["reference"] == [entry["model"] for entry in reference["models"]]
    assert summary["verdict"].startswith("✓ Valid against the schema")
    for name in ("space.png", "space-all-runs.png", "space-extract.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_shows_a_message_not_a_traceback(space):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(space["url"], wait_until="networkidle")
        page.get_by_role("button", name="Extract").click()  # the text box is empty
        toast = page.get_by_text("The text is empty")
        toast.wait_for(timeout=30_000)
        assert "Traceback" not in page.content()
        browser.close()
