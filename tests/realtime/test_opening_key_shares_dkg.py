"""The rescue of a section whose opening key its holders generated (trading/ceremony): each
holder is given the sub-shares the qualified dealers sealed to it, opens and checks them on
its own machine and gives back their sum; a sum that fails the dealers' commitments is
refused at once; the regulator's and one other holder's sums rebuild the key, whose public
key is the section's, and the failed bid is opened with it [E31]."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accounts.models import Person
from ggzy_core.gm import curve, dkg, shamir, sm2
from realtime.models import BidOpening, OpeningStatus, ShareSubmission
from supervision.models import LedgerEntry
from tests.realtime.conftest import Opening
from tests.realtime.test_opening_key_shares import (  # noqa: F401
    client_of,
    holder_org,
    person_of,
    rescue,
    url,
)
from tests.trading import ceremony_helpers as holders_side
from tests.trading.conftest import Holders, section_fields, upload
from trading import documents, services
from trading.models import KeyCeremony, OpeningKeyMode, Project, Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(project: Project, tenderee: Person, holders: Holders) -> Section:
    """A draft whose key the three holders generated (overrides tests/trading's dealt one)."""
    section = services.section_create(
        project=project, actor=tenderee, **section_fields(opening_key_mode=OpeningKeyMode.DKG)
    )
    documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
    holders_side.run(section, tenderee, holders_side.parties(holders, tenderee))
    section.refresh_from_db()
    return section


def key_of(state: Opening, name: str) -> sm2.SM2PrivateKey:
    return state.holders.keys[holder_org(state.holders, name).credit_code]


def released_to(state: Opening, person: Person) -> dict[str, Any]:
    response = client_of(person).get(url(state.section))
    assert response.status_code == 200, response.content
    return dict(response.json())


def combined(release: dict[str, Any], key: sm2.SM2PrivateKey) -> shamir.Share:
    """What ggzy-bid does with the release: open, check against the commitments, add up."""
    sub_shares = []
    for dealing in release["dealings"]:
        share = shamir.open_share(bytes.fromhex(dealing["sealed_share"]), key)
        commitments = [curve.hex_to_point(text) for text in dealing["commitments"]]
        assert dkg.sub_share_is_valid(share, commitments)
        sub_shares.append(share)
    return dkg.combine_sub_shares(sub_shares)


def give(state: Opening, person: Person, share: shamir.Share) -> Any:
    return client_of(person).post(
        url(state.section), {"share": share.to_bytes().hex()}, format="json"
    )


def test_the_release_gives_a_holder_its_sub_shares_from_every_qualified_dealer(
    rescue: Opening,  # noqa: F811
) -> None:
    assert rescue.section.opening_key_mode == OpeningKeyMode.DKG
    regulator = person_of(rescue.holders, "regulator")
    release = released_to(rescue, regulator)
    assert release["mode"] == "dkg" and release["index"] == 2 and release["sealed_share"] == ""
    assert [d["dealer"] for d in release["dealings"]] == [1, 2, 3]
    share = combined(release, key_of(rescue, "regulator"))
    assert share.index == 2
    assert LedgerEntry.objects.filter(action="realtime.opening_key.share_released").count() == 1


def test_a_share_that_fails_the_dealers_commitments_is_refused_at_once(
    rescue: Opening,  # noqa: F811
) -> None:
    regulator = person_of(rescue.holders, "regulator")
    released_to(rescue, regulator)
    response = give(rescue, regulator, shamir.Share(2, 12345))
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert holders_side.bilingual(detail) and "commitments" in detail
    assert not ShareSubmission.objects.exists()
    refusal = LedgerEntry.objects.get(action="realtime.opening_key.share_refused")
    assert refusal.data["reason"] == "fails_commitments" and refusal.data["index"] == 2


def test_the_regulator_and_the_tenderee_rebuild_the_generated_key_and_the_bid_opens(
    rescue: Opening,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    regulator = person_of(rescue.holders, "regulator")
    first = give(
        rescue, regulator, combined(released_to(rescue, regulator), key_of(rescue, "regulator"))
    )
    assert first.status_code == 200 and first.json()["rebuilt"] is False
    tenderee = person_of(rescue.holders, "tenderee")
    share = combined(released_to(rescue, tenderee), key_of(rescue, "tenderee"))
    with django_capture_on_commit_callbacks(execute=True):  # the decryption task runs
        second = give(rescue, tenderee, share)
    assert second.status_code == 200, second.content
    assert second.json()["rebuilt"] is True and second.json()["rescued"] == 1
    saved = BidOpening.objects.get(bid=rescue.bids[2])
    assert saved.key_source == "opening_key" and saved.status == OpeningStatus.DECRYPTED
    rebuilt = LedgerEntry.objects.get(action="realtime.opening_key.reconstructed")
    assert rebuilt.data["holders"] == [
        rescue.holders.regulator.credit_code,
        rescue.holders.tenderee.credit_code,
    ]


def test_the_generated_key_rebuilt_from_two_shares_is_the_sections_key(
    rescue: Opening,  # noqa: F811
) -> None:
    shares = []
    for name in ("regulator", "centre"):  # the regulator first (trading/rules.py)
        person = person_of(rescue.holders, name)
        shares.append(combined(released_to(rescue, person), key_of(rescue, name)))
        assert give(rescue, person, shares[-1]).status_code == 200
    expected = sm2.load_public_key(rescue.section.opening_key_pem.encode())
    key = shamir.reconstruct_opening_key(shares, expected_public_key=expected, threshold=2)
    assert key.public_key() == expected
    found = KeyCeremony.objects.get(section=rescue.section)
    assert expected == dkg.public_key(d.commitments for d in holders_side.received(found))


def test_no_ledger_entry_of_a_generated_keys_rescue_holds_a_share(
    rescue: Opening,  # noqa: F811
) -> None:
    secrets = []
    for name in ("regulator", "centre"):
        person = person_of(rescue.holders, name)
        release = released_to(rescue, person)
        share = combined(release, key_of(rescue, name))
        secrets.append(share.to_bytes().hex())
        secrets += [d["sealed_share"] for d in release["dealings"]]
        assert give(rescue, person, share).status_code == 200
    written = json.dumps([e.data for e in LedgerEntry.objects.all()], ensure_ascii=False)
    assert not any(secret in written for secret in secrets)
