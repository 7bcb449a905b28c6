"""The expert draw's order, for the platform and for anyone replaying a draw (no Django).

seed   = SM3(secret ‖ anchor)            secret: 32 bytes the platform drew and committed to
                                          (SM3(secret) is in the ledger before the draw);
                                          anchor: the ledger entry hash of that commitment
rank   = SM3(seed ‖ 0x00 ‖ number)        per eligible expert, by their library number (UTF-8)

Each need (a specialty and a count) in the request's order takes its eligible experts by
rank, lowest first, skipping anyone already seated: first its members, then its backups.
docs/experts.md ("Replaying a draw") does the same with openssl.

Cross-region evaluation (远程异地评标): with ``outside_min`` > 0, at least that many members
come from ``outside`` (the eligible experts whose region lies outside the section's city).
Going down the ranks, a need passes over an expert of the city whenever taking them would
leave fewer member seats than outside experts still owed; backups are the next by rank.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

from ggzy_core.gm.sm3 import sm3

MEMBER = "member"
BACKUP = "backup"


@dataclass(frozen=True)
class Need:
    code: str  # the specialty code requested
    count: int  # members
    backups: int


@dataclass(frozen=True)
class Seat:
    code: str
    role: str  # MEMBER or BACKUP
    number: str  # the expert's library number


def commitment(secret: bytes) -> str:
    return sm3(secret).hex()


def seed(secret: bytes, anchor_hex: str) -> bytes:
    return sm3(secret + bytes.fromhex(anchor_hex))


def rank(seed_bytes: bytes, number: str) -> str:
    return sm3(seed_bytes + b"\x00" + number.encode()).hex()


def seats(
    seed_bytes: bytes,
    needs: Sequence[Need],
    pool: Mapping[str, Sequence[str]],
    *,
    outside: Collection[str] = frozenset(),
    outside_min: int = 0,
) -> list[Seat]:
    """The committee and its backups: ``pool`` maps each need's code to its eligible numbers.
    Fewer eligible experts than a need asks for (or than the outside rule leaves) gives fewer
    seats; the caller refuses that."""
    taken: set[str] = set()
    chosen: list[Seat] = []
    ranks = _ranks(seed_bytes, {number for numbers in pool.values() for number in numbers})
    seats_left = sum(need.count for need in needs)
    owed = outside_min  # members from outside the city still to seat
    for need in needs:
        ordered = sorted(
            (number for number in set(pool.get(need.code, ())) if number not in taken),
            key=ranks.__getitem__,
        )
        members = 0
        for number in ordered:
            if members == need.count:
                break
            away = number in outside
            if not away and owed >= seats_left:
                continue  # every seat left is owed to an expert from outside the city
            chosen.append(Seat(need.code, MEMBER, number))
            taken.add(number)
            members += 1
            seats_left -= 1
            owed = max(0, owed - 1) if away else owed
        seats_left -= need.count - members  # a short need: the caller refuses the draw
        backups = [number for number in ordered if number not in taken][: need.backups]
        for number in backups:
            chosen.append(Seat(need.code, BACKUP, number))
            taken.add(number)
    return chosen


def _ranks(seed_bytes: bytes, numbers: set[str]) -> dict[str, bytes]:
    """``rank`` of many numbers at once, as bytes (they sort as the hex does): the hash of the
    common prefix is copied, not redone. hashlib's SM3 (the same OpenSSL) costs less a call
    than ``cryptography``'s where this OpenSSL offers it (a third less over 20,000 experts)."""
    if "sm3" in hashlib.algorithms_available:
        fast = hashlib.new("sm3", seed_bytes + b"\x00")
        ranks = {}
        for number in numbers:
            copy = fast.copy()
            copy.update(number.encode())
            ranks[number] = copy.digest()
        return ranks
    prefix = hashes.Hash(hashes.SM3())
    prefix.update(seed_bytes + b"\x00")
    ranks = {}
    for number in numbers:
        digest = prefix.copy()
        digest.update(number.encode())
        ranks[number] = digest.finalize()
    return ranks
