"""The model of the browser engine (``maaza.inference.engines``): the static page of ``spaces/edgejson-browser``
(llama.cpp compiled to WebAssembly, through wllama) in headless Chromium, driven by Playwright, on a GGUF folder made
by ``maaza export --precision gguf-q8`` (or ``gguf``). The page and the folder's files are served on loopback with the
cross-origin isolation headers a static Space sets, so the page runs as a user's tab runs it, threads included.

The page is the one built by ``npm ci && npm run build`` in ``spaces/edgejson-browser``: its ``dist`` folder, found at
``$MAAZA_BROWSER_PAGE`` or else ``spaces/edgejson-browser/dist`` under the working directory.

Usage: ``Extractor.load("exports/maaza-mlm-135m-json/gguf-q8", decoding=Decoding(engine="browser", constrained=True))``
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
import weakref
from pathlib import Path
from typing import Any

from maaza.export.info import ExportError
from maaza.inference.gguf_model import gguf_files

PAGE = "spaces/edgejson-browser/dist"
LOAD_TIMEOUT_S = 600


def page_dir() -> Path:
    """The built page: ``$MAAZA_BROWSER_PAGE``, else ``spaces/edgejson-browser/dist``; ``ExportError`` saying how to
    build it when it is not there."""
    folder = Path(os.environ.get("MAAZA_BROWSER_PAGE", PAGE))
    if not (folder / "index.html").is_file() or not (folder / "app.js").is_file():
        raise ExportError(
            f"no built browser page at {folder}: run `npm ci && npm run build` in spaces/edgejson-browser (or set "
            "MAAZA_BROWSER_PAGE to its dist folder)"
        )
    return folder


def chromium() -> str:
    """Chromium's executable; ``ExportError`` saying how to install it when there is none."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise ExportError("the browser engine needs Chromium: apt-get install -y chromium")
    return path


class _Handler(http.server.SimpleHTTPRequestHandler):
    """The page at ``/`` and the model folder's files at ``/model/<name>``, with the headers of a cross-origin isolated
    page."""

    def __init__(self, *args: Any, page: Path, model: Path, **kwargs: Any):
        self.page, self.model = page, model
        super().__init__(*args, directory=str(page), **kwargs)

    def translate_path(self, path: str) -> str:
        name = path.split("?", 1)[0]
        if name.startswith("/model/"):
            file = self.model / name.removeprefix("/model/")
            return str(file if file.parent == self.model else self.page / "missing")
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, *args: Any) -> None:  # quiet
        pass


class BrowserPage:
    """The page in headless Chromium with a GGUF folder's base and LoRA files loaded (llama.cpp on the page's default
    threads: one per core); :meth:`extract` runs one request through the page's own code."""

    def __init__(self, folder: str | os.PathLike):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise ExportError("the browser engine needs Playwright: pip install 'edgejson-maaza[dev]'") from None
        self.folder = Path(folder)
        self.info, base, lora = gguf_files(folder)
        page = page_dir()
        self.build = json.loads((page / "build_info.json").read_text(encoding="utf-8"))
        handler = functools.partial(_Handler, page=page, model=self.folder.resolve())
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/?base=/model/{base.name}&lora=/model/{lora.name}"
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        self.chromium = self.browser.version
        # closed with the page object, so that another page can start in the same process
        self._finalizer = weakref.finalize(self, _shut, self.browser, self.playwright, self.server)
        self.page = self.browser.new_page()
        self.page.goto(self.url)
        self.page.wait_for_function("window.maaza !== undefined", timeout=LOAD_TIMEOUT_S * 1000)
        error = self.page.evaluate("window.maaza.error ?? null")
        if error:
            self.close()
            raise ExportError(f"the browser page could not load {folder}: {error}")
        self.threads: int = self.page.evaluate("window.maaza.threads")
        self.precision, self.context = self.info.precision, self.page.evaluate("window.maaza.context")

    def extract(self, schema: dict[str, Any], text: str, max_tokens: int, constrained: bool) -> dict[str, Any]:
        """One request through the page's ``extract``: its raw answer, token counts, speeds and seconds."""
        return self.page.evaluate(
            "([schema, text, options]) => window.maaza.extract(schema, text, options)",
            [schema, text, {"maxTokens": max_tokens, "constrained": constrained}],
        )

    def close(self) -> None:
        self._finalizer()


def _shut(browser: Any, playwright: Any, server: http.server.ThreadingHTTPServer) -> None:
    browser.close()
    playwright.stop()
    server.shutdown()
