"""The section's opening key in the dealt fallback: made at publication, split among three
holders, forgotten. (By default the holders generate it themselves and nobody ever holds it
whole: trading/ceremony.py; the tenderee may choose this fallback, Section.opening_key_mode.)

Every sealed bid wraps its content key to this key too, so that a bid can still be opened
if the bidder's own decryption fails through no fault of theirs [E31]. Its private key must
not exist in one place before the deadline: the platform generates it, splits it 2-of-3
(centre, regulator, tenderee) with Shamir sharing, seals each share to its holder's bound
SM2 key, and keeps only the public key and the sealed shares. See docs/envelope.md.
"""

from __future__ import annotations

from accounts.models import Organisation, OrganisationKey
from accounts.services import active_key
from ggzy.errors import DomainError
from ggzy_core.gm import shamir, sm2
from trading.models import OpeningKeyShare, Section
from trading.rules import OPENING_KEY_THRESHOLD


def holders_of(section: Section) -> list[Organisation]:
    """The holders in the order of their share indices 1, 2, 3 (both modes)."""
    project = section.project
    return [project.centre, project.regulator, project.tenderee]


def required_holder_id(section: Section) -> int:
    """The holder whose share every rebuilding of the key needs: the regulator, so that the
    centre and the tenderee together cannot open a bid (trading/rules.py)."""
    return section.project.regulator_id


def create_opening_key(section: Section) -> list[OrganisationKey]:
    """Generate, split and seal the key; return the holders' keys used (for the ledger)."""
    holders = holders_of(section)
    keys: list[OrganisationKey] = []
    for holder in holders:
        key = active_key(holder)
        if key is None:
            raise DomainError(
                f"{holder.name} 尚未绑定SM2密钥，无法保管开标密钥分片 / "
                f"{holder.name} has no bound SM2 key to hold a share of the opening key",
                code="conflict",
            )
        keys.append(key)
    public_keys = [sm2.load_public_key(key.public_key_pem.encode()) for key in keys]
    opening_public, sealed = shamir.split_new_opening_key(
        threshold=OPENING_KEY_THRESHOLD, holders=public_keys
    )
    section.opening_key_pem = opening_public.to_pem().decode("ascii")
    section.opening_key_fingerprint = opening_public.fingerprint()
    section.opening_key_threshold = OPENING_KEY_THRESHOLD
    section.save(
        update_fields=["opening_key_pem", "opening_key_fingerprint", "opening_key_threshold"]
    )
    for index, (holder, key, share) in enumerate(zip(holders, keys, sealed, strict=True), 1):
        OpeningKeyShare.objects.create(
            section=section,
            holder=holder,
            holder_key_fingerprint=key.fingerprint,
            index=index,
            sealed_share=share,
        )
    return keys
