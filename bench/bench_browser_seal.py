"""Benchmark sealing in the browser (static/js/seal-worker.js in headless Chromium, driven by
Playwright) against ``ggzy-bid seal`` on the same file, in the same run.

    .venv/bin/python -m bench.bench_browser_seal [--json] [--size-mb 100] [--runs 2]

One file of random data is sealed by the CLI (wall time of the command, start-up included)
and by the page's worker (from the request to the sealed envelope written to the browser's
private file system; the upload is not part of either). Target: browser >= 0.1x the CLI.
The page-side SM4-GCM alone (sm-crypto-v2, 1 MiB chunks) is reported to show where the time
goes. MB = 10^6 bytes.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from ggzy_core.gm import sm2

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
MIB = 1 << 20
TARGET_RATIO = 0.1
CREDIT_CODE = "91350100M000100Y43"
SHEET = {"price": "12345678.90", "duration_days": 365}
SCRIPTS = [
    "/static/vendor/sm-crypto-v2/index.umd.js",
    "/static/vendor/hash-wasm/sm3.umd.min.js",
    "/static/js/hall-crypto.js",
    "/static/js/seal-core.js",
]
HARNESS = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>seal bench</title></head>
<body><input type="file" id="files"></body></html>"""

SEAL_IN_WORKER = """async ({ scripts, keyText, openingKeyPem, sheet, creditCode }) => {
  const file = document.getElementById("files").files[0];
  const worker = new Worker("/static/js/seal-worker.js");
  const started = performance.now();
  const done = await new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      const m = event.data;
      if (m.type === "sealed") resolve(m);
      else if (m.type === "error") reject(new Error(m.zh + " / " + m.en));
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({
      type: "seal", scripts, toolVersion: "bench", files: [{ file, name: file.name }],
      keyText, password: "", sheet, sectionId: 1, sectionCode: "BENCH-01",
      creditCode, openingKeyPem, browserId: "bench", outputName: "bench.gbid",
    });
  });
  const seconds = (performance.now() - started) / 1000;
  worker.terminate();
  return { seconds, size: done.size, stored: done.stored };
}"""

GCM_IN_PAGE = """async ({ scripts, megabytes }) => {
  for (const src of scripts.slice(0, 1)) {
    await new Promise((ok, fail) => {
      const s = document.createElement("script"); s.src = src; s.onload = ok; s.onerror = fail;
      document.head.appendChild(s);
    });
  }
  const chunk = new Uint8Array(1 << 20).map((_, i) => i & 255);
  const key = new Uint8Array(16), iv = new Uint8Array(12), aad = new Uint8Array(36);
  const started = performance.now();
  for (let i = 0; i < megabytes; i++) {
    window.SmCryptoV2.sm4.encrypt(chunk, key, { mode: "gcm", iv, associatedData: aad,
      output: "array", outputTag: true, padding: "none" });
  }
  return (performance.now() - started) / 1000;
}"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves /static/ from the repository and the harness page at /."""

    def translate_path(self, path: str) -> str:
        if path.split("?")[0].startswith("/static/"):
            return str(ROOT / path.split("?")[0].lstrip("/"))
        return str(ROOT / "bench" / "__none__")

    def do_GET(self) -> None:
        if self.path in ("/", "/index.html"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(HARNESS)))
            self.end_headers()
            self.wfile.write(HARNESS)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _server() -> Iterator[str]:
    handler = functools.partial(_Handler, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def _write_random(path: Path, size_mb: int) -> None:
    with path.open("wb") as handle:
        for _ in range(size_mb):
            handle.write(os.urandom(MIB))


def _cli_seal(source: Path, work: Path, key: Path, opening: Path) -> float:
    sheet = work / "sheet.json"
    sheet.write_text(json.dumps(SHEET))
    out = work / "cli.gbid"
    out.unlink(missing_ok=True)
    command = [
        str(ROOT / ".venv" / "bin" / "ggzy-bid"), "seal", str(source), "--section-id", "1",
        "--section-code", "BENCH-01", "--credit-code", CREDIT_CODE, "--key", str(key),
        "--opening-key", str(opening), "--sheet", str(sheet), "--out", str(out), "--offline",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def _browser_seal(page: Page, source: Path, key_text: str, opening_text: str) -> dict[str, Any]:
    page.set_input_files("#files", str(source))
    result: dict[str, Any] = page.evaluate(
        SEAL_IN_WORKER,
        {
            "scripts": SCRIPTS,
            "keyText": key_text,
            "openingKeyPem": opening_text,
            "sheet": SHEET,
            "creditCode": CREDIT_CODE,
        },
    )
    return result


def run(size_mb: int, runs: int) -> dict[str, Any]:
    megabytes = size_mb * MIB / 1e6
    key = sm2.generate_private_key()
    opening = sm2.generate_private_key().public_key()
    with tempfile.TemporaryDirectory(prefix="ggzy-bench-") as tmp:
        work = Path(tmp)
        source = work / "bid-files.bin"
        _write_random(source, size_mb)
        key_file, opening_file = work / "key.pem", work / "opening.pem"
        key_file.write_bytes(key.to_pem())
        opening_file.write_bytes(opening.to_pem())
        cli = min(_cli_seal(source, work, key_file, opening_file) for _ in range(runs))
        with _server() as base, sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto(base + "/")
            sealed = [
                _browser_seal(page, source, key_file.read_text(), opening_file.read_text())
                for _ in range(runs)
            ]
            gcm_seconds = page.evaluate(GCM_IN_PAGE, {"scripts": SCRIPTS, "megabytes": 64})
            browser.close()
    best = min(s["seconds"] for s in sealed)
    return {
        "size_mb": round(megabytes, 1),
        "cli_mb_s": round(megabytes / cli, 1),
        "browser_mb_s": round(megabytes / best, 1),
        "ratio": round(cli / best, 3),
        "browser_stored_in": sealed[0]["stored"],
        "page_sm4_gcm_mb_s": round(64 * MIB / 1e6 / gcm_seconds, 1),
        "target_ratio": TARGET_RATIO,
        "chromium": subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.size_mb, args.runs)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"sealing {result['size_mb']} MB ({result['machine']}, {result['chromium']})")
    print(f"  ggzy-bid seal (CLI)          {result['cli_mb_s']:8.1f} MB/s   baseline")
    print(
        f"  browser worker (sm-crypto-v2) {result['browser_mb_s']:7.1f} MB/s   "
        f"{result['ratio']:.3f}x  (target >= {TARGET_RATIO}x; stored in {result['browser_stored_in']})"
    )
    print(f"  page SM4-GCM alone           {result['page_sm4_gcm_mb_s']:8.1f} MB/s")


if __name__ == "__main__":
    main()
