"""Public verification: the number and the code printed on a guarantee show what it
guarantees; an unknown number and a wrong code get the same answer; attempts are limited."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from deposits import guarantees
from deposits.models import Guarantee
from tests.bidding.conftest import Bidder, bidders, section  # noqa: F401
from tests.deposits.guarantee_world import Signer, signer, submit, terms_for  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db

PAGE = "/guarantees/verify"
API = "/api/guarantees/verify"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def guarantee(section: Section, bidders: list[Bidder], signer: Signer) -> Guarantee:  # noqa: F811
    return submit(signer, terms_for(section, bidders[0].organisation, signer))


def printed(guarantee: Guarantee) -> str:
    return guarantees.format_code(guarantee.verification_code)


def page(number: str, code: str) -> bytes:
    response = Client().post(PAGE, {"number": number, "code": code})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return CSRF.sub(b"<csrf>", response.content)


def test_the_number_and_the_printed_code_show_the_guarantee(guarantee: Guarantee) -> None:
    body = page(guarantee.number, printed(guarantee)).decode()
    for shown in (
        guarantee.issuer.name,
        guarantee.beneficiary.name,
        guarantee.bidder.name,
        guarantee.section.code,
        "800,000.00",  # yuan with separators, and in capital figures below
        "捌拾万元整",
        guarantee.document_sm3,
        guarantee.valid_until.isoformat(),
    ):
        assert shown in body


def test_the_code_may_be_typed_in_lower_case_without_dashes(guarantee: Guarantee) -> None:
    typed = guarantee.verification_code.lower()
    assert guarantee.bidder.name in page(guarantee.number, f" {typed[:6]} {typed[6:]}").decode()


def test_a_wrong_code_answers_exactly_like_a_number_that_does_not_exist(
    guarantee: Guarantee,
) -> None:
    # The form shows what was typed; apart from that, not one byte differs.
    wrong = page(guarantee.number, "ABCD-EFGH-JKLM").replace(guarantee.number.encode(), b"<n>")
    unknown = page("BH2026999999", "ABCD-EFGH-JKLM").replace(b"BH2026999999", b"<n>")
    assert wrong == unknown
    text = wrong.decode()
    assert "未找到" in text and "Not found" in text
    for secret in (guarantee.section.code, guarantee.bidder.name, guarantee.issuer.name):
        assert secret not in text


def test_the_api_shows_the_guarantee_with_the_amount_in_words(guarantee: Guarantee) -> None:
    response = Client().get(API, {"number": guarantee.number, "code": printed(guarantee)})
    assert response.status_code == 200
    body = response.json()
    assert body["amount"] == "800000.00" and body["amount_in_words"] == "捌拾万元整"
    assert body["bidder"]["credit_code"] == guarantee.bidder.credit_code
    assert body["section"]["code"] == guarantee.section.code
    assert body["document_sm3"] == guarantee.document_sm3
    assert "verification_code" not in body


def test_the_api_answers_every_miss_the_same_404(guarantee: Guarantee) -> None:
    answers = [
        Client().get(API, query)
        for query in (
            {"number": guarantee.number, "code": "ABCD-EFGH-JKLM"},
            {"number": "BH2026999999", "code": printed(guarantee)},
            {"number": guarantee.number},
            {"number": "x" * 500, "code": "y" * 500},
        )
    ]
    assert {response.status_code for response in answers} == {404}
    assert len({response.content for response in answers}) == 1
    detail = answers[0].json()["detail"]
    assert "未找到" in detail and "Not found" in detail


def test_the_page_speaks_english_on_request_and_chinese_by_default() -> None:
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(PAGE)
    chinese = Client().get(PAGE)
    assert english.status_code == chinese.status_code == 200
    assert english["Content-Language"] == "en" and chinese["Content-Language"] == "zh-hans"
    assert "Verify an electronic guarantee" in english.content.decode()
    assert 'name="code"' in chinese.content.decode()


def test_guessing_is_limited_per_address_across_the_page_and_the_api(
    guarantee: Guarantee, settings: object
) -> None:
    browser = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(10):
        target = PAGE if attempt % 2 else API
        if target == PAGE:
            assert browser.post(PAGE, {"number": "BH1", "code": "AAAA"}).status_code == 200
        else:
            assert browser.get(API, {"number": "BH1", "code": "AAAA"}).status_code == 404
    limited_page = browser.post(PAGE, {"number": guarantee.number, "code": printed(guarantee)})
    limited_api = browser.get(API, {"number": guarantee.number, "code": printed(guarantee)})
    assert (limited_page.status_code, limited_api.status_code) == (429, 429)
    assert int(limited_page["Retry-After"]) > 0 and int(limited_api["Retry-After"]) > 0
    text = limited_page.content.decode()
    assert "查询过于频繁" in text and "Too many attempts" in text
    assert guarantee.bidder.name not in text  # the right code does not get through either
    other_address = Client(REMOTE_ADDR="203.0.113.8")
    answer = other_address.get(API, {"number": guarantee.number, "code": printed(guarantee)})
    assert answer.status_code == 200
