"""Print a pack's HTML to PDF with the Debian Chromium the browser tests already use.

Chromium, not WeasyPrint: it is already on every machine that runs the browser tests (no
second rendering engine, no Pango stack from PyPI wheels), it prints exactly the HTML the
axe-core accessibility check reads, it writes tagged PDF (headings, tables, figure
alternatives) with a document outline, and it lays out CSS ``@page`` margin boxes, so the
A4 pages carry "Page n of N". Headless ``--print-to-pdf`` runs one short-lived browser per
document with a throwaway profile and no network: the HTML is self-contained.

``$CARECAST_CHROMIUM`` names another binary; without one, the PDF format says how to get it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from carecast.data.errors import InputError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-extensions", "--no-pdf-header-footer", "--generate-pdf-document-outline",
         "--run-all-compositor-stages-before-draw"]
TIMEOUT_S = 120


def chromium() -> str:
    """The Chromium binary to print with."""
    named = os.environ.get("CARECAST_CHROMIUM")
    found = named or next((p for c in CANDIDATES if (p := shutil.which(c))), None)
    if not found or not Path(found).exists():
        raise InputError("PDF needs Chromium: install Debian's chromium (bash "
                         "scripts/setup-web.sh --with-browser) or set CARECAST_CHROMIUM; "
                         "--format html needs nothing")
    return found


def render(html: str) -> bytes:
    """The PDF Chromium prints from ``html`` (A4 and margins come from the page's CSS)."""
    binary = chromium()
    with tempfile.TemporaryDirectory(prefix="carecast-pdf-") as tmp:
        page, out = Path(tmp) / "pack.html", Path(tmp) / "pack.pdf"
        page.write_text(html, encoding="utf-8")
        command = [binary, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
                   f"--print-to-pdf={out}", page.as_uri()]
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False,
                              env={**os.environ, "HOME": tmp})
        if not out.exists() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise RuntimeError(f"Chromium did not print the PDF (exit {done.returncode}): "
                               + " | ".join(tail))
        return out.read_bytes()
