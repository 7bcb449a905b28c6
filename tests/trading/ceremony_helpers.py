"""The holders' side of the opening key ceremony, in-process: what ``ggzy-bid opening-key
ceremony`` does on each holder's machine (ggzy_core.gm.dkg), driven against the services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accounts.models import Organisation, Person, Role
from ggzy_core.gm import dkg, shamir, sm2
from tests.factories import PersonFactory
from tests.trading.conftest import Holders
from trading import ceremony
from trading.models import KeyCeremony, KeyDealing, Section


@dataclass
class Party:
    """One holder: its index, one of its people and its organisation's bound private key."""

    index: int
    organisation: Organisation
    person: Person
    key: sm2.SM2PrivateKey


ROLES = {1: Role.STAFF, 2: Role.REGULATOR, 3: Role.TENDEREE}


def parties(holders: Holders, tenderee: Person) -> dict[int, Party]:
    """Centre 1, regulator 2, tenderee 3 (trading/opening_key.py: holders_of)."""
    found = {}
    for index, organisation in enumerate((holders.centre, holders.regulator, holders.tenderee), 1):
        person = (
            tenderee
            if index == 3
            else PersonFactory.create(organisation=organisation, role=ROLES[index])
        )
        found[index] = Party(index, organisation, person, holders.keys[organisation.credit_code])
    return found


def recipients(found: KeyCeremony) -> dict[int, sm2.SM2PublicKey]:
    return {
        holder.index: sm2.load_public_key(holder.public_key_pem.encode())
        for holder in found.holders.all()
    }


def dealing_for(section: Section, found: KeyCeremony, party: Party) -> dkg.Dealing:
    return dkg.deal(
        section=section.code,
        ceremony=str(found.pk),
        dealer=party.index,
        threshold=found.threshold,
        recipients=recipients(found),
    )


def signed(document: Mapping[str, Any], key: sm2.SM2PrivateKey, *, dealing: bool) -> bytes:
    message = dkg.dealing_message(document) if dealing else dkg.verification_message(document)
    return key.sign(message)


def deal(
    section: Section, found: KeyCeremony, party: Party, dealing: dkg.Dealing | None = None
) -> KeyCeremony:
    document = (dealing or dealing_for(section, found, party)).document()
    return ceremony.deal(
        section=section,
        person=party.person,
        document=document,
        signature=signed(document, party.key, dealing=True),
    )


def received(found: KeyCeremony) -> list[dkg.Dealing]:
    return [
        dkg.Dealing.from_document(row.document)
        for row in KeyDealing.objects.filter(holder__ceremony=found)
    ]


def review(found: KeyCeremony, party: Party) -> dkg.Review:
    return dkg.review_dealings(received(found), holder=party.index, key=party.key)


def verification(
    section: Section, found: KeyCeremony, party: Party, complaints: tuple[dkg.Complaint, ...]
) -> dict[str, Any]:
    return dkg.Verification(
        section=section.code, ceremony=str(found.pk), holder=party.index, complaints=complaints
    ).document()


def verify(
    section: Section,
    found: KeyCeremony,
    party: Party,
    complaints: tuple[dkg.Complaint, ...] | None = None,
) -> KeyCeremony:
    """The holder's honest verdict (its own review) unless ``complaints`` are given."""
    chosen = review(found, party).complaints if complaints is None else complaints
    document = verification(section, found, party, chosen)
    return ceremony.verify(
        section=section,
        person=party.person,
        document=document,
        signature=signed(document, party.key, dealing=False),
    )


def run(section: Section, tenderee: Person, found_parties: dict[int, Party]) -> KeyCeremony:
    """Start, every holder deals, every holder verifies: a complete ceremony."""
    found = ceremony.start(section=section, actor=tenderee)
    for party in found_parties.values():
        deal(section, found, party)
    for party in found_parties.values():
        verify(section, found, party)
    found.refresh_from_db()
    return found


def holder_share(found: KeyCeremony, party: Party, dealers: set[int]) -> shamir.Share:
    """What a holder combines in a rescue: its sub-shares from the qualified dealers."""
    sub_shares = review(found, party).sub_shares
    return dkg.combine_sub_shares(sub_shares[dealer] for dealer in sorted(dealers))


def bilingual(message: str) -> bool:
    """Chinese, then " / ", then English (the house's DomainError messages)."""
    chinese, separator, english = message.partition(" / ")
    has_chinese = any("\u4e00" <= c <= "\u9fff" for c in chinese)
    has_english = any(c.isascii() and c.isalpha() for c in english)
    return bool(separator) and has_chinese and has_english
