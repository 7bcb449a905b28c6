"""Sealing a bid in the page, as a bidder without ggzy-bid does (templates/bidding/upload.html,
static/js/bid-seal.js): shared by the sealing tests and the journey."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect


def fill_sealing_form(
    page: Page, *, files: list[Path], key: Path, password: str | None, sheet: dict[str, Any]
) -> None:
    """Choose the files and the key file, fill the opening sheet, press "Seal and upload".
    The page must be a section's upload page (bidding:upload)."""
    page.set_input_files("#seal-files", [str(f) for f in files])
    for name, value in sheet.items():
        page.locator(f"#sheet-{name}").fill(str(value))
    page.set_input_files("#seal-key", str(key))
    page.locator("#seal-password").fill(password or "")
    page.locator("#seal-submit").click()


def seal_in_browser(
    page: Page,
    *,
    files: list[Path],
    key: Path,
    password: str | None,
    sheet: dict[str, Any],
    upload_url: str | None = None,
    timeout_ms: int = 120_000,
) -> str:
    """Seal ``files`` with the opening ``sheet`` in the page and upload the envelope; returns
    the bid's id (from the receipt link). Opens ``upload_url`` first when given; otherwise the
    page must already be the section's upload page."""
    if upload_url is not None:
        page.goto(upload_url)
    fill_sealing_form(page, files=files, key=key, password=password, sheet=sheet)
    receipt = page.locator("#seal-receipt")
    expect(receipt).to_be_visible(timeout=timeout_ms)
    href = receipt.get_attribute("href") or ""
    return href.split("/bids/")[1].split("/")[0]
