"""The opening key ceremony's rules (trading/ceremony): the holders deal and verify, a
misbehaving dealer is excluded on a founded complaint, a silent one at the deadline, and the
key is assembled from the qualified dealers' commitments — the whole private key never
exists until two holders' shares meet in a rescue."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from accounts.models import KeyStatus, OrganisationKey, Person
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.gm import dkg, shamir, sm2
from supervision.models import LedgerEntry
from tests.trading import ceremony_helpers as holders_side
from tests.trading.ceremony_helpers import Party, bilingual
from tests.trading.conftest import Holders, section_fields, upload
from trading import ceremony, chronograph, documents, services
from trading.models import (
    CeremonyStatus,
    KeyCeremony,
    KeyVerification,
    OpeningKeyMode,
    OpeningKeyShare,
    Project,
    Section,
    SectionStatus,
)
from trading.workbench import ceremony_panels

pytestmark = pytest.mark.django_db


@pytest.fixture
def dkg_draft(project: Project, tenderee: Person) -> Section:
    section = services.section_create(
        project=project,
        actor=tenderee,
        **section_fields(opening_key_mode=OpeningKeyMode.DKG),
    )
    documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
    return section


@pytest.fixture
def parties(holders: Holders, tenderee: Person) -> dict[int, Party]:
    return holders_side.parties(holders, tenderee)


@pytest.fixture
def started(dkg_draft: Section, tenderee: Person) -> KeyCeremony:
    return ceremony.start(section=dkg_draft, actor=tenderee)


def refused(call: object, *args: object, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert bilingual(caught.value.message), caught.value.message
    return caught.value


def public_key_of(found: KeyCeremony, dealers: set[int]) -> sm2.SM2PublicKey:
    return dkg.public_key(
        d.commitments for d in holders_side.received(found) if d.dealer in dealers
    )


def test_a_new_section_defaults_to_the_holders_generating_its_key(
    project: Project, tenderee: Person
) -> None:
    fields = section_fields()
    del fields["opening_key_mode"]
    section = services.section_create(project=project, actor=tenderee, **fields)
    assert section.opening_key_mode == OpeningKeyMode.DKG


def test_the_holders_generate_a_key_that_two_of_them_rebuild_and_nobody_dealt(
    dkg_draft: Section, tenderee: Person, parties: dict[int, Party]
) -> None:
    found = holders_side.run(dkg_draft, tenderee, parties)
    assert found.status == CeremonyStatus.COMPLETE
    dkg_draft.refresh_from_db()
    expected = public_key_of(found, {1, 2, 3})
    assert dkg_draft.opening_key_pem == expected.to_pem().decode()
    assert dkg_draft.opening_key_fingerprint == expected.fingerprint()
    rows = OpeningKeyShare.objects.filter(section=dkg_draft).order_by("index")
    assert [(r.index, bytes(r.sealed_share)) for r in rows] == [(1, b""), (2, b""), (3, b"")]
    shares = {i: holders_side.holder_share(found, p, {1, 2, 3}) for i, p in parties.items()}
    for pair in ((1, 2), (2, 3), (1, 3)):
        key = shamir.reconstruct_opening_key(
            [shares[i] for i in pair], expected_public_key=expected, threshold=2
        )
        assert key.public_key() == expected
        assert all(dkg.holder_share_is_valid(shares[i], found_commitments(found)) for i in pair)
    published = services.section_publish(section=dkg_draft, actor=tenderee)
    assert published.status == SectionStatus.PUBLISHED
    assert published.opening_key_fingerprint == expected.fingerprint()  # not dealt again
    entry = LedgerEntry.objects.get(action="trading.section.published")
    assert entry.data["opening_key_mode"] == "dkg"
    completed = LedgerEntry.objects.get(action="trading.opening_key.ceremony.completed")
    assert completed.data["qualified"] == [1, 2, 3]


def found_commitments(found: KeyCeremony) -> list[tuple[tuple[int, int], ...]]:
    return [d.commitments for d in holders_side.received(found)]


def test_publication_is_refused_until_the_ceremony_is_complete_naming_who_is_missing(
    dkg_draft: Section, tenderee: Person, parties: dict[int, Party], holders: Holders
) -> None:
    before = refused(services.section_publish, section=dkg_draft, actor=tenderee)
    assert before.code == "conflict" and "Start the opening key ceremony" in before.message
    found = ceremony.start(section=dkg_draft, actor=tenderee)
    holders_side.deal(dkg_draft, found, parties[1])
    waiting = refused(services.section_publish, section=dkg_draft, actor=tenderee)
    assert holders.regulator.name in waiting.message and holders.tenderee.name in waiting.message
    assert "deadline" in waiting.message and "Beijing time" in waiting.message
    dkg_draft.refresh_from_db()
    assert dkg_draft.status == SectionStatus.DRAFT and not dkg_draft.opening_key_pem
    assert not OpeningKeyShare.objects.filter(section=dkg_draft).exists()


def test_the_ceremony_cannot_start_while_a_holder_has_no_bound_key(
    dkg_draft: Section, tenderee: Person, holders: Holders
) -> None:
    OrganisationKey.objects.filter(organisation=holders.regulator).update(status=KeyStatus.RETIRED)
    refusal = refused(ceremony.start, section=dkg_draft, actor=tenderee)
    assert holders.regulator.name in refusal.message and "bind" in refusal.message
    assert not KeyCeremony.objects.exists()


def test_only_the_tenderee_starts_the_ceremony_of_a_draft_whose_holders_make_the_key(
    dkg_draft: Section, tenderee: Person, parties: dict[int, Party]
) -> None:
    assert refused(ceremony.start, section=dkg_draft, actor=parties[2].person).code == "forbidden"
    ceremony.choose_mode(section=dkg_draft, actor=tenderee, mode=OpeningKeyMode.DEALT)
    assert refused(ceremony.start, section=dkg_draft, actor=tenderee).code == "conflict"


def test_a_holder_deals_only_once(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party]
) -> None:
    holders_side.deal(dkg_draft, started, parties[1])
    refusal = refused(holders_side.deal, dkg_draft, started, parties[1])
    assert refusal.code == "conflict" and "once" in refusal.message
    assert LedgerEntry.objects.filter(action="trading.opening_key.ceremony.dealt").count() == 1


def test_a_dealing_after_the_deadline_is_refused(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party]
) -> None:
    with time_machine.travel(started.deadline, tick=False):
        refusal = refused(holders_side.deal, dkg_draft, started, parties[1])
    assert refusal.code == "conflict" and "deadline" in refusal.message


def test_a_dealing_signed_by_another_key_is_refused(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party]
) -> None:
    document = holders_side.dealing_for(dkg_draft, started, parties[1]).document()
    forged = holders_side.signed(document, sm2.generate_private_key(), dealing=True)
    refusal = refused(
        ceremony.deal,
        section=dkg_draft,
        person=parties[1].person,
        document=document,
        signature=forged,
    )
    assert refusal.code == "invalid" and "bound SM2 key" in refusal.message
    assert not LedgerEntry.objects.filter(action="trading.opening_key.ceremony.dealt").exists()


def test_a_holder_cannot_deal_in_anothers_name(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party]
) -> None:
    someone_else = holders_side.dealing_for(dkg_draft, started, parties[2])
    refusal = refused(holders_side.deal, dkg_draft, started, parties[1], someone_else)
    assert refusal.code == "invalid" and "holder index is 1" in refusal.message


def test_a_verification_before_everyone_dealt_is_refused_naming_who_is_missing(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party], holders: Holders
) -> None:
    holders_side.deal(dkg_draft, started, parties[1])
    holders_side.deal(dkg_draft, started, parties[2])
    refusal = refused(holders_side.verify, dkg_draft, started, parties[1])
    assert refusal.code == "conflict" and holders.tenderee.name in refusal.message
    assert holders.centre.name not in refusal.message
    assert not KeyVerification.objects.exists()


def forged_dealing(section: Section, found: KeyCeremony, dealer: Party, victim: int) -> dkg.Dealing:
    """A dealing whose sub-share for ``victim`` is not on the dealer's polynomial."""
    honest = holders_side.dealing_for(section, found, dealer)
    wrong = shamir.Share(victim, 12345)
    victim_key = holders_side.recipients(found)[victim]
    return dkg.Dealing(
        section=honest.section,
        ceremony=honest.ceremony,
        dealer=honest.dealer,
        threshold=honest.threshold,
        commitments=honest.commitments,
        sealed={**honest.sealed, victim: victim_key.encrypt(wrong.to_bytes())},
    )


def test_a_founded_complaint_excludes_the_dealer_and_the_key_comes_from_the_others(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party], tenderee: Person
) -> None:
    holders_side.deal(dkg_draft, started, parties[1])
    holders_side.deal(dkg_draft, started, parties[2])
    holders_side.deal(
        dkg_draft, started, parties[3], forged_dealing(dkg_draft, started, parties[3], 1)
    )
    for party in parties.values():
        holders_side.verify(dkg_draft, started, party)
    started.refresh_from_db()
    assert started.status == CeremonyStatus.COMPLETE
    assert started.holders.get(index=3).excluded == dkg.FAILS_COMMITMENT
    upheld = LedgerEntry.objects.get(action="trading.opening_key.ceremony.complaint_upheld")
    assert upheld.data["against"] == 3 and upheld.data["complainer"] == 1
    assert LedgerEntry.objects.filter(action="trading.opening_key.ceremony.excluded").count() == 1
    dkg_draft.refresh_from_db()
    expected = public_key_of(started, {1, 2})
    assert dkg_draft.opening_key_fingerprint == expected.fingerprint()
    shares = [holders_side.holder_share(started, parties[i], {1, 2}) for i in (2, 3)]
    key = shamir.reconstruct_opening_key(shares, expected_public_key=expected, threshold=2)
    assert key.public_key() == expected
    assert ceremony.qualified_commitments(dkg_draft) == [
        d.commitments for d in holders_side.received(started) if d.dealer in (1, 2)
    ]


def test_an_unfounded_complaint_is_recorded_and_changes_nothing(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party]
) -> None:
    for party in parties.values():
        holders_side.deal(dkg_draft, started, party)
    true_share = holders_side.review(started, parties[1]).sub_shares[2]
    false_claim = (dkg.Complaint(2, dkg.FAILS_COMMITMENT, true_share),)
    holders_side.verify(dkg_draft, started, parties[1], false_claim)
    holders_side.verify(dkg_draft, started, parties[2])
    holders_side.verify(dkg_draft, started, parties[3])
    started.refresh_from_db()
    assert started.status == CeremonyStatus.COMPLETE
    assert not started.holders.exclude(excluded="").exists()
    verification = KeyVerification.objects.get(holder__index=1, holder__ceremony=started)
    assert verification.verdicts == [
        {"against": 2, "reason": dkg.FAILS_COMMITMENT, "verdict": "unfounded"}
    ]
    assert LedgerEntry.objects.filter(
        action="trading.opening_key.ceremony.complaint_unfounded"
    ).exists()
    dkg_draft.refresh_from_db()
    assert dkg_draft.opening_key_fingerprint == public_key_of(started, {1, 2, 3}).fingerprint()


def test_a_silent_holder_is_excluded_at_the_deadline_and_the_others_finish(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party]
) -> None:
    holders_side.deal(dkg_draft, started, parties[1])
    holders_side.deal(dkg_draft, started, parties[2])
    dkg_draft.refresh_from_db()
    assert dkg_draft.next_check == started.deadline  # the chronograph waits for it
    with time_machine.travel(started.deadline + dt.timedelta(minutes=5), tick=False):
        assert chronograph.apply_time_events(dkg_draft.pk) == ["opening_key_ceremony"]
        started.refresh_from_db()
        assert started.status == CeremonyStatus.COLLECTING
        assert started.holders.get(index=3).excluded == ceremony.SILENT
        assert started.verification_deadline == started.deadline + ceremony.VERIFICATION_GRACE
        holders_side.verify(dkg_draft, started, parties[1])
        holders_side.verify(dkg_draft, started, parties[2])
    started.refresh_from_db()
    assert started.status == CeremonyStatus.COMPLETE
    dkg_draft.refresh_from_db()
    assert dkg_draft.opening_key_fingerprint == public_key_of(started, {1, 2}).fingerprint()
    excluded = LedgerEntry.objects.get(action="trading.opening_key.ceremony.excluded")
    assert excluded.data["index"] == 3 and excluded.data["reason"] == "silent"


def test_a_late_tick_closes_the_ceremony_on_whoever_took_part(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party]
) -> None:
    holders_side.deal(dkg_draft, started, parties[1])
    holders_side.deal(dkg_draft, started, parties[2])
    late = started.deadline + ceremony.VERIFICATION_GRACE + dt.timedelta(days=3)
    with time_machine.travel(late, tick=False):
        chronograph.apply_time_events(dkg_draft.pk)
    started.refresh_from_db()
    assert started.status == CeremonyStatus.COMPLETE  # the dealings stand unchallenged
    dkg_draft.refresh_from_db()
    assert dkg_draft.next_check is None


def test_fewer_than_the_threshold_of_qualified_dealers_fails_and_the_tenderee_restarts(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party], tenderee: Person
) -> None:
    holders_side.deal(dkg_draft, started, parties[1])
    with time_machine.travel(started.deadline, tick=False):
        chronograph.apply_time_events(dkg_draft.pk)
    started.refresh_from_db()
    assert started.status == CeremonyStatus.FAILED and bilingual(started.failure)
    refusal = refused(services.section_publish, section=dkg_draft, actor=tenderee)
    assert "failed" in refusal.message
    dkg_draft.refresh_from_db()
    assert not dkg_draft.opening_key_pem
    again = ceremony.start(section=dkg_draft, actor=tenderee)
    assert again.pk != started.pk and again.status == CeremonyStatus.COLLECTING
    assert LedgerEntry.objects.filter(action="trading.opening_key.ceremony.failed").count() == 1


def test_the_tenderee_may_fall_back_to_the_dealt_key_after_a_failed_ceremony(
    dkg_draft: Section, started: KeyCeremony, tenderee: Person
) -> None:
    refusal = refused(
        ceremony.choose_mode, section=dkg_draft, actor=tenderee, mode=OpeningKeyMode.DEALT
    )
    assert refusal.code == "conflict"  # not while one is under way
    with time_machine.travel(started.deadline, tick=False):
        chronograph.apply_time_events(dkg_draft.pk)
    ceremony.choose_mode(section=dkg_draft, actor=tenderee, mode=OpeningKeyMode.DEALT)
    published = services.section_publish(section=dkg_draft, actor=tenderee)
    rows = OpeningKeyShare.objects.filter(section=published)
    assert rows.count() == 3 and all(bytes(r.sealed_share) for r in rows)


def test_the_dealt_fallback_publishes_as_before(draft: Section, tenderee: Person) -> None:
    published = services.section_publish(section=draft, actor=tenderee)
    assert published.opening_key_mode == OpeningKeyMode.DEALT and published.opening_key_pem
    assert all(bytes(r.sealed_share) for r in OpeningKeyShare.objects.filter(section=published))
    assert not KeyCeremony.objects.exists()


def test_no_ledger_entry_of_the_ceremony_holds_a_share(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party]
) -> None:
    holders_side.deal(dkg_draft, started, parties[1])
    holders_side.deal(dkg_draft, started, parties[2])
    holders_side.deal(
        dkg_draft, started, parties[3], forged_dealing(dkg_draft, started, parties[3], 2)
    )
    reviews = {i: holders_side.review(started, p) for i, p in parties.items()}
    for party in parties.values():
        holders_side.verify(dkg_draft, started, party)
    secrets = [s.to_bytes().hex() for r in reviews.values() for s in r.sub_shares.values()]
    secrets += [
        c.revealed_share.to_bytes().hex()
        for r in reviews.values()
        for c in r.complaints
        if c.revealed_share is not None
    ]
    secrets += [value.hex() for d in holders_side.received(started) for value in d.sealed.values()]
    assert len(secrets) >= 9
    entries = LedgerEntry.objects.filter(action__startswith="trading.opening_key.ceremony")
    written = json.dumps([e.data for e in entries], ensure_ascii=False)
    assert entries.count() >= 9
    assert not any(secret in written for secret in secrets)


def test_each_holder_sees_its_step_on_the_workbench_until_it_is_taken(
    dkg_draft: Section, started: KeyCeremony, parties: dict[int, Party]
) -> None:
    def items(party: Party) -> list[str]:
        panels = ceremony_panels(party.person, clock.now())  # none when nothing waits
        return [f"{item.title} {item.detail}" for panel in panels for item in panel.items]

    [waiting] = items(parties[2])
    assert dkg_draft.code in waiting
    assert f"ggzy-bid opening-key ceremony --section {dkg_draft.code}" in waiting
    for party in parties.values():
        holders_side.deal(dkg_draft, started, party)
    assert len(items(parties[2])) == 1  # now to verify
    holders_side.verify(dkg_draft, started, parties[2])
    assert items(parties[2]) == []
