"""A bidder without ggzy-bid seals its bid in the page (a Web Worker: SM4-GCM, SM2, SM3) and
uploads it: the platform files it like any other, ``ggzy-bid unseal`` opens it, and nothing
of the plaintext, the key file or its password leaves the browser. The page also opens an
envelope the CLI sealed and shows what it holds."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import Page, Request, Route, expect
from pytest_django.live_server_helper import LiveServer

from bidding.models import Bid, Upload
from bidding.parts import iter_parts
from ggzy_core.gm import sm2
from tests.bidding.conftest import Bidder, make_bidder, open_for_bids, seal_bid
from tests.browser.conftest import requires_chromium
from tests.browser.sealing import fill_sealing_form, seal_in_browser
from tests.factories import TEST_PASSWORD
from tests.trading.conftest import bind_new_key, draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = [pytest.mark.browser, requires_chromium]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = Path(django_settings.VAR_DIR) / "screenshots" / "bid-seal.png"
KEY_PASSWORD = "封标口令 browser-only"
MARKER = b"PLAINTEXT-MARKER-7f3a9c"


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + reverse("accounts:dashboard"))


def encrypted_key_file(key: sm2.SM2PrivateKey, folder: Path) -> Path:
    """The key file as a bidder keeps it: PKCS#8, encrypted with KEY_PASSWORD."""
    path = folder / "bidder.pem"
    path.write_bytes(key.to_pem(KEY_PASSWORD.encode(), iterations=2000))
    return path


@pytest.fixture
def bidder(published: Section) -> Bidder:  # noqa: F811
    bidder = make_bidder("网页封标建设有限公司")
    bidder.person.username = "sealing-bidder"
    bidder.person.save()
    return bidder


def seal_in_page(
    page: Page, base: str, section: Section, files: list[Path], key_file: Path, price: str
) -> None:
    page.goto(base + reverse("bidding:upload", args=[section.code]))
    fill_sealing_form(
        page, files=files, key=key_file, password=KEY_PASSWORD, sheet={"price": price}
    )


def test_a_bid_sealed_in_the_browser_is_filed_and_opens_with_ggzy_bid_unseal(
    page: Page,
    live_server: LiveServer,
    published: Section,  # noqa: F811
    bidder: Bidder,
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(days=2))
    folder = tmp_path / "投标文件"
    folder.mkdir()
    files = [folder / "商务标.pdf", folder / "技术标.bin"]
    files[0].write_bytes(b"%PDF-1.7 " + MARKER + b" business part " * 20_000)
    files[1].write_bytes(MARKER + bytes(range(256)) * 12_000)
    key_file = encrypted_key_file(bidder.key, tmp_path)
    key_pem = key_file.read_bytes()
    seen: list[Request] = []
    # Every request of the context: the page's and its sealing worker's.
    page.context.on("request", lambda request: seen.append(request))

    sign_in(page, live_server.url, "sealing-bidder")
    bid_id = seal_in_browser(
        page,
        files=files,
        key=key_file,
        password=KEY_PASSWORD,
        sheet={"price": "8800000.5"},
        upload_url=live_server.url + reverse("bidding:upload", args=[section.code]),
    )

    expect(page.locator("#seal-progress")).to_have_attribute("value", "100")
    expect(page.locator("#seal-save")).to_be_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)

    bid = Bid.objects.get(organisation=bidder.organisation)
    assert str(bid.pk) == bid_id
    assert bid.manifest["client"]["tool_version"].startswith("ggzy-web ")
    assert bid.manifest["client"]["mac_addresses"] == []
    sealed = tmp_path / "stored.gbid"
    sealed.write_bytes(b"".join(iter_parts(Upload.objects.get(bid=bid))))
    assert "SM3 " + bid.sm3 in page.locator("#seal-sm3").inner_text()

    plain_key = tmp_path / "plain.pem"
    plain_key.write_bytes(bidder.key.to_pem())
    out = tmp_path / "opened"
    done = subprocess.run(
        [str(ROOT / ".venv/bin/ggzy-bid"), "unseal", str(sealed), "--key", str(plain_key),
         "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for original in files:
        assert (out / original.name).read_bytes() == original.read_bytes()

    # What left the browser: requests to this server only, none carrying the plaintext, the
    # key file, its scalar or its password; the PATCHes carry exactly the stored envelope.
    secrets = [MARKER, key_pem, format(bidder.key._d, "064x").encode(), KEY_PASSWORD.encode()]
    uploads = [r for r in seen if r.method == "PATCH"]
    assert b"".join(r.post_data_buffer or b"" for r in uploads) == sealed.read_bytes()
    for request in seen:
        assert request.url.startswith(live_server.url), request.url
        for secret in secrets:
            assert secret not in (request.post_data_buffer or b""), request.url
    assert {r.method for r in seen} <= {"GET", "POST", "HEAD", "PATCH"}


def test_the_page_opens_a_bid_sealed_with_the_cli_and_shows_its_sheet_and_files(
    page: Page,
    live_server: LiveServer,
    published: Section,  # noqa: F811
    bidder: Bidder,
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(days=2))
    bid_file = tmp_path / "cli.gbid"
    bid_file.write_bytes(seal_bid(section, bidder, tmp_path, price="47000000.00"))
    key_file = encrypted_key_file(bidder.key, tmp_path)

    sign_in(page, live_server.url, "sealing-bidder")
    page.goto(live_server.url + reverse("bidding:upload", args=[section.code]))
    page.set_input_files("#check-file", str(bid_file))
    page.set_input_files("#check-key", str(key_file))
    page.locator("#check-password").fill(KEY_PASSWORD)
    page.locator("#check-form button[type=submit]").click()

    expect(page.locator("#check-result")).to_be_visible(timeout=30_000)
    expect(page.locator("#check-sheet [data-item=price]")).to_have_text("47000000.00")
    expect(page.locator("#check-signature")).not_to_be_empty()
    expect(page.locator("#check-files tbody")).to_contain_text(
        f"proposal-{bidder.organisation.pk}.pdf"
    )
    expect(page.locator("#check-section")).to_contain_text(section.code)


def test_a_price_with_a_comma_is_refused_in_both_languages_and_nothing_is_uploaded(
    page: Page,
    live_server: LiveServer,
    published: Section,  # noqa: F811
    bidder: Bidder,
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(days=2))
    document = tmp_path / "a.pdf"
    document.write_bytes(b"%PDF-1.7 proposal")
    key_file = encrypted_key_file(bidder.key, tmp_path)
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.method != "GET" else None)

    sign_in(page, live_server.url, "sealing-bidder")
    seal_in_page(page, live_server.url, section, [document], key_file, "1,000.00")

    status = page.locator("#seal-status")
    expect(status).to_contain_text("投标报价", timeout=30_000)
    expect(status).to_contain_text("the bid price must be an amount in yuan")
    assert not [r for r in posts if "/api/bids/uploads" in r.url]
    assert not Bid.objects.filter(organisation=bidder.organisation).exists()


def test_an_upload_cut_off_after_sealing_continues_from_where_it_stopped_after_a_reload(
    page: Page,
    live_server: LiveServer,
    published: Section,  # noqa: F811
    bidder: Bidder,
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(days=2))
    document = tmp_path / "large.bin"
    document.write_bytes(MARKER * 800_000)  # ~18 MB: three 8 MiB PATCHes
    key_file = encrypted_key_file(bidder.key, tmp_path)
    patches: list[str] = []

    def cut_after_the_first_part(route: Route) -> None:
        if route.request.method != "PATCH":
            route.continue_()
            return
        patches.append(route.request.url)
        if len(patches) == 1:
            route.continue_()
        else:
            route.abort("connectionreset")

    sign_in(page, live_server.url, "sealing-bidder")
    page.route("**/api/bids/uploads/**", cut_after_the_first_part)
    seal_in_page(page, live_server.url, section, [document], key_file, "990000")
    status = page.locator("#seal-status")
    expect(status).to_contain_text("没有任何丢失", timeout=60_000)
    expect(page.locator("#seal-resume")).to_be_visible()
    assert not Bid.objects.filter(organisation=bidder.organisation).exists()
    page.unroute("**/api/bids/uploads/**")

    page.reload()
    expect(page.locator("#seal-resume")).to_be_visible()
    page.locator("#seal-resume-button").click()
    expect(page.locator("#seal-receipt")).to_be_visible(timeout=60_000)
    bid = Bid.objects.get(organisation=bidder.organisation)
    assert bid.sm3 in page.locator("#seal-resume-sm3").inner_text()
    # One upload, continued: the first part was not sent again.
    assert Upload.objects.filter(organisation=bidder.organisation).count() == 1
    page.reload()
    expect(page.locator("#seal-resume")).to_be_hidden()


def test_a_key_that_is_not_the_organisations_bound_key_is_refused_before_sealing(
    page: Page,
    live_server: LiveServer,
    published: Section,  # noqa: F811
    bidder: Bidder,
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(days=2))
    document = tmp_path / "a.pdf"
    document.write_bytes(b"%PDF-1.7 proposal")
    key_file = encrypted_key_file(sm2.generate_private_key(), tmp_path)

    sign_in(page, live_server.url, "sealing-bidder")
    seal_in_page(page, live_server.url, section, [document], key_file, "1000.00")

    status = page.locator("#seal-status")
    expect(status).to_contain_text("不是本单位绑定的密钥", timeout=30_000)
    expect(status).to_contain_text(f"bound key {bidder.key.public_key().fingerprint()[:16]}")
    expect(page.locator("#seal-progress")).to_have_attribute("value", "0")
