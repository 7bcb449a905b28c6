"""The public feed: pages in change order, bounded, the next page named in the Link header;
a release by id; a record per section that ocdskit compiles the same way; drafts never."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from ocdskit.combine import merge

from accounts.models import Person
from supervision.opendata import mapping, services, validation
from supervision.opendata.models import FeedCounter, Release
from tests.bidding.conftest import Bidder, seal_bid, upload_whole
from tests.supervision.opendata.ocds import get_json, record_of, valid
from tests.trading.conftest import section_fields, upload
from trading import chronograph, documents
from trading import services as trading
from trading.models import Project, Section, SectionStatus

pytestmark = pytest.mark.django_db

FEED = "/opendata/releases.json"


def publish_sections(project: Project, tenderee: Person, count: int) -> list[Section]:
    sections = []
    for _ in range(count):
        section = trading.section_create(project=project, actor=tenderee, **section_fields())
        documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
        sections.append(trading.section_publish(section=section, actor=tenderee))
    return sections


def next_link(response: Any) -> str | None:
    link = response.get("Link")
    if link is None:
        return None
    found = re.fullmatch(r'<http://testserver(/opendata/releases\.json\?[^>]+)>; rel="next"', link)
    assert found, link
    return found.group(1)


def test_the_feed_pages_through_every_release_in_change_order(
    project: Project, tenderee: Person
) -> None:
    publish_sections(project, tenderee, 5)
    client = Client()
    path: str | None = f"{FEED}?limit=2"
    seen: list[str] = []
    sizes = []
    while path is not None:
        response = client.get(path)
        assert response.status_code == 200
        package = json.loads(response.content)
        if package["releases"]:
            valid(package, "release-package")
        assert package["version"] == "1.1"
        assert package["extensions"] == [mapping.BID_EXTENSION]
        assert package["uri"] == f"http://testserver{path}"
        seen += [release["id"] for release in package["releases"]]
        sizes.append(len(package["releases"]))
        path = next_link(response)
    assert sizes == [2, 2, 1]  # a short page is the end for now: no Link
    assert seen == list(Release.objects.order_by("order").values_list("release_id", flat=True))
    orders = list(Release.objects.order_by("order").values_list("order", flat=True))
    assert orders == sorted(set(orders))


def test_a_full_last_page_links_to_an_empty_one(project: Project, tenderee: Person) -> None:
    publish_sections(project, tenderee, 2)
    client = Client()
    response = client.get(f"{FEED}?limit=2")
    following = next_link(response)
    assert following is not None
    package = json.loads(client.get(following).content)
    assert package["releases"] == []


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=ten", "after=-1", "after=1e3", "after=" + "9" * 19]
)
def test_a_page_out_of_bounds_is_refused_with_the_bounds(query: str) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"{FEED}?{query}")
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["code"] == "invalid"
    assert "must be a whole number from" in body["detail"] and "须为" in body["detail"]


def test_a_release_is_served_alone_and_a_missing_one_is_a_404(published: Section) -> None:
    release = Release.objects.get(section=published)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _raw, package = get_json(client, f"/opendata/releases/{release.release_id}.json")
    valid(package, "release-package")
    assert [r["id"] for r in package["releases"]] == [release.release_id]
    assert package["publishedDate"] == mapping.when(release.date)
    missing = client.get("/opendata/releases/ocds-ggzy00-NOPE-0001.json")
    assert missing.status_code == 404
    assert "release feed" in json.loads(missing.content)["detail"]


def test_a_draft_is_never_published(draft: Section, tenderee: Person) -> None:
    assert services.release_publish(section=draft, tags=["tender"]) is None
    trading.section_cancel(section=draft, actor=tenderee, reason="项目取消")
    assert not Release.objects.filter(section=draft).exists()
    response = Client().get(f"/opendata/records/{mapping.ocid(draft)}.json")
    assert response.status_code == 404


def test_publishing_again_with_nothing_new_adds_no_release(published: Section) -> None:
    assert services.release_publish(section=published, tags=["tenderUpdate"]) is None
    release = Release.objects.get(section=published)
    with pytest.raises(ValueError, match="immutable"):
        release.save()


def test_a_cancelled_section_publishes_its_cancellation(
    published: Section, tenderee: Person
) -> None:
    trading.section_cancel(section=published, actor=tenderee, reason="项目资金未落实")
    last = json.loads(bytes(Release.objects.filter(section=published).latest("number").content))
    assert last["tag"] == ["tenderCancellation"]
    assert last["tender"]["status"] == "cancelled"
    assert last["tender"]["statusDetails"] == "项目资金未落实"


def test_a_section_failed_for_want_of_bids_gives_the_count_but_no_names(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    for bidder in bidders[:2]:
        data = seal_bid(section, bidder, tmp_path)
        assert upload_whole(bidder.client(), section, data).status_code == 204
    with time_machine.travel(section.bid_deadline + dt.timedelta(seconds=1), tick=False):
        chronograph.apply_time_events(section.pk)
    section.refresh_from_db()
    assert section.status == SectionStatus.FAILED
    last = json.loads(bytes(Release.objects.filter(section=section).latest("number").content))
    assert last["tag"] == ["tenderUpdate"]
    assert last["tender"]["status"] == "unsuccessful"
    assert last["tender"]["numberOfTenderers"] == 2
    assert "tenderers" not in last["tender"]
    for bidder in bidders:
        assert bidder.organisation.credit_code not in json.dumps(last, ensure_ascii=False)


def test_ocdskit_compiles_the_feed_into_the_record_the_platform_serves(
    section: Section,
) -> None:
    client = Client()
    _raw, feed = get_json(client, FEED)
    compiled = list(
        merge(
            [feed],
            uri="https://example.org/records.json",
            publisher=feed["publisher"],
            published_date=feed["publishedDate"],
            schema=validation.schema("release"),  # the vendored schema: nothing is fetched
            return_package=True,
        )
    )
    (package,) = compiled
    valid(package, "record-package")
    ours = record_of(client, section)
    assert package["records"][0]["compiledRelease"] == ours["records"][0]["compiledRelease"]
    assert [r["id"] for r in ours["records"][0]["releases"]] == [r["id"] for r in feed["releases"]]


def test_the_open_data_page_explains_the_feed_and_links_the_downloads(
    published: Section,
) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("opendata:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Before it, nothing about bids or bidders is ever published." in page
    assert 'href="/opendata/releases.json"' in page
    release = Release.objects.get(section=published)
    assert f'href="/opendata/releases/{release.release_id}.json"' in page
    assert f'href="/opendata/records/{mapping.ocid(published)}.json"' in page


def test_the_feed_shares_the_anonymous_read_rate_limit(published: Section) -> None:
    client = Client()
    for _ in range(1000):
        response = client.get(FEED)
        if response.status_code == 429:
            break
        assert response.status_code == 200
    assert response.status_code == 429
    assert response["Retry-After"].isdigit()


def test_the_validate_command_passes_a_download_and_names_the_faults_of_a_broken_one(
    published: Section, tmp_path: Path
) -> None:
    client = Client()
    good = tmp_path / "record.json"
    good.write_bytes(client.get(f"/opendata/records/{mapping.ocid(published)}.json").content)
    broken = tmp_path / "page.json"
    page = json.loads(client.get(FEED).content)
    page["releases"][0]["tag"] = ["opened"]
    broken.write_text(json.dumps(page))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("opendata_validate", str(good), str(broken), stdout=out)
    assert exit_code.value.code == 1
    assert f"{good}: valid record-package" in out.getvalue()
    assert f"{broken}: invalid release-package" in out.getvalue()
    assert "releases/0/tag/0: 'opened' is not one of" in out.getvalue()


def test_a_change_that_rolls_back_takes_its_release_and_change_order_with_it(
    published: Section, tenderee: Person
) -> None:
    counter = FeedCounter.objects.get().value
    with pytest.raises(RuntimeError), transaction.atomic():
        trading.section_cancel(section=published, actor=tenderee, reason="项目取消")
        assert Release.objects.filter(section=published).count() == 2
        raise RuntimeError("the worker died before the commit")
    assert list(Release.objects.filter(section=published).values_list("tags", flat=True)) == [
        ["tender"]
    ]
    assert FeedCounter.objects.get().value == counter
