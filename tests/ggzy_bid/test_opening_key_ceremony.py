"""The dealer-free opening key end to end: three real ``ggzy-bid opening-key ceremony``
processes (centre, regulator, tenderee) run at once against a real daphne, the section is
published with the key they generated, and two holders' ``ggzy-bid share`` processes rescue
a bid the platform failed to decrypt. Also: a holder who never takes part, and a holder whose
dealing is corrupt. One daphne serves the whole module (CI is at its time budget)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction

from accounts import services as account_services
from accounts.models import Person
from ggzy_core.gm import curve, dkg, sm2
from ggzy_core.gm.shamir import Share, seal_share
from realtime import rescue
from realtime.models import BidOpening, OpeningStatus
from supervision.models import LedgerEntry
from tests import servers
from tests.factories import PersonFactory
from tests.ggzy_bid.test_hall_commands import ggzy_bid, key_file, to_decryption
from tests.realtime.conftest import Opening
from tests.trading.conftest import Holders, section_fields, upload
from trading import ceremony, chronograph, documents, services
from trading.models import (
    CeremonyHolder,
    CeremonyStatus,
    KeyCeremony,
    KeyDealing,
    KeyVerification,
    OpeningKeyShare,
    Project,
    Section,
)

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = "180"  # seconds each holder's tool waits for the others (the machine is shared)
HEX = re.compile(r"[0-9a-f]{64,}")


@pytest.fixture(scope="module")
def shared_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def platform(
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
    shared_media: Path,
) -> Iterator[servers.Running]:
    """One daphne for every test here (each test's rows are its own: the database is emptied
    between tests, the server process stays)."""
    var_dir = tmp_path_factory.mktemp("daphne")
    with (
        django_db_blocker.unblock(),
        servers.daphne(var_dir, MEDIA_ROOT=str(shared_media)) as running,
    ):
        yield running


@pytest.fixture(autouse=True)
def _isolated_var(settings: Any, shared_media: Path) -> None:
    """The stored bids go where the module's one daphne reads them (tests/conftest.py gives
    each test a folder of its own, which a server started once cannot follow)."""
    settings.MEDIA_ROOT = str(shared_media)


@pytest.fixture
def draft(project: Project, tenderee: Person) -> Section:
    """A draft whose opening key its holders generate (the default for new sections)."""
    section = services.section_create(
        project=project, actor=tenderee, **section_fields(opening_key_mode="dkg")
    )
    documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
    return section


@dataclass
class Holder:
    index: int
    person: Person
    key: str  # the key file


@pytest.fixture
def people(holders: Holders, tenderee: Person, tmp_path: Path) -> dict[int, Holder]:
    """A person of each holder's organisation, and its bound key in a file of its own."""
    centre = PersonFactory.create(username="centre-holder", organisation=holders.centre)
    regulator = PersonFactory.create(username="regulator-holder", organisation=holders.regulator)
    return {
        index: Holder(index, person, key_file(tmp_path, f"holder{index}", holders.keys[code]))
        for index, person, code in (
            (1, centre, holders.centre.credit_code),
            (2, regulator, holders.regulator.credit_code),
            (3, tenderee, holders.tenderee.credit_code),
        )
    }


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


def start_tool(url: str, holder: Holder, home: Path, *args: str) -> subprocess.Popen[str]:
    _instance, token = account_services.token_issue(person=holder.person)
    return subprocess.Popen(
        [sys.executable, "-m", "ggzy_bid.cli", *args, "--key", holder.key],
        cwd=servers.ROOT,
        env={**os.environ, "GGZY_SERVER": url, "GGZY_TOKEN": token, "XDG_CONFIG_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def take_part(url: str, section: Section, holders: Sequence[Holder], home: Path) -> list[Any]:
    """Every holder's ``ggzy-bid opening-key ceremony``, started together (still running)."""
    args = ("opening-key", "ceremony", "--section", section.code, "--wait", WAIT)
    return [start_tool(url, holder, home, *args) for holder in holders]


def finish(processes: Sequence[subprocess.Popen[str]]) -> list[Finished]:
    done = []
    for process in processes:
        try:
            out, err = process.communicate(timeout=float(WAIT) + 60)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        done.append(Finished(process.returncode, out, err))
    return done


def until(condition: Callable[[], bool], processes: Sequence[subprocess.Popen[str]]) -> None:
    """Poll the database while the tools run (a tool that died ends the wait)."""
    limit = time.monotonic() + float(WAIT)
    while not condition():
        if time.monotonic() > limit or any(p.poll() is not None for p in processes):
            return
        time.sleep(0.2)


def dealings(section: Section) -> dict[int, dkg.Dealing]:
    rows = KeyDealing.objects.filter(holder__ceremony__section=section)
    return {row.holder.index: dkg.Dealing.from_document(row.document) for row in rows}


def sum_of_constant_commitments(
    found: dict[int, dkg.Dealing], dealers: Sequence[int]
) -> sm2.SM2PublicKey:
    total: curve.Point | None = None
    for dealer in dealers:
        point = found[dealer].commitments[0]
        total = point if total is None else curve.add(total, point)
    assert total is not None
    return sm2.SM2PublicKey(*total)


def stored_text(section: Section) -> list[str]:
    """Every value the platform keeps about the ceremony, its ledger entries included."""
    rows: list[Any] = [
        *KeyCeremony.objects.filter(section=section).values(),
        *CeremonyHolder.objects.filter(ceremony__section=section).values(),
        *KeyDealing.objects.filter(holder__ceremony__section=section).values(),
        *KeyVerification.objects.filter(holder__ceremony__section=section).values(),
        *OpeningKeyShare.objects.filter(section=section).values(),
        *LedgerEntry.objects.filter(action__startswith="trading.opening_key").values(),
    ]
    return [
        bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v)
        for r in rows
        for v in r.values()
    ]


def holds_no_private_key(section: Section) -> bool:
    """No 32 bytes anywhere in the platform's ceremony rows are a scalar d with d·G the
    opening key: the platform stores commitments and ciphertexts, never the key."""
    target = sm2.load_public_key(section.opening_key_pem.encode())
    point = (target.x, target.y)
    for text in stored_text(section):
        for run in HEX.findall(text.lower()):
            for start in range(0, len(run) - 63, 2):
                scalar = int(run[start : start + 64], 16) % curve.N
                if scalar and curve.base_multiply(scalar) == point:
                    return False
    return True


def sub_shares(generated: Ceremony, holders: Holders) -> list[str]:
    """Every sub-share dealt, opened with its holder's key, as the tools must never print it."""
    keys = {1: holders.centre, 2: holders.regulator, 3: holders.tenderee}
    found = []
    for dealing in generated.dealings.values():
        for index, organisation in keys.items():
            share = dkg.open_sub_share(dealing, index, holders.keys[organisation.credit_code])
            found += [share.to_bytes().hex(), f"{share.value:064x}", str(share.value)]
    return found


@dataclass
class Ceremony:
    results: list[Finished]
    dealings: dict[int, dkg.Dealing]


@pytest.fixture
def generated(
    platform: servers.Running,
    draft: Section,
    tenderee: Person,
    people: dict[int, Holder],
    tmp_path: Path,
) -> Ceremony:
    """The tenderee starts the ceremony and the three holders take part at once."""
    ceremony.start(section=draft, actor=tenderee)
    results = finish(take_part(platform.url, draft, list(people.values()), tmp_path))
    return Ceremony(results, dealings(draft))


@pytest.fixture
def published(draft: Section, tenderee: Person, generated: Ceremony) -> Section:
    """Published with the key its holders generated (the `opening` fixture builds on it)."""
    return services.section_publish(section=draft, actor=tenderee)


def test_three_holders_generate_the_key_and_two_of_them_rescue_a_failed_bid(
    generated: Ceremony,
    opening: Opening,
    people: dict[int, Holder],
    platform: servers.Running,
    tmp_path: Path,
) -> None:
    section = opening.section
    assert [r.returncode for r in generated.results] == [0, 0, 0], [
        r.stderr for r in generated.results
    ]
    assert KeyCeremony.objects.get(section=section).status == CeremonyStatus.COMPLETE
    generated_key = sum_of_constant_commitments(generated.dealings, (1, 2, 3))
    assert section.opening_key_pem == generated_key.to_pem().decode()
    assert all(generated_key.fingerprint() in r.stdout for r in generated.results)
    assert holds_no_private_key(section)
    printed = "".join(r.stdout + r.stderr for r in generated.results)
    assert not [secret for secret in sub_shares(generated, opening.holders) if secret in printed]
    assert set(
        OpeningKeyShare.objects.filter(section=section).values_list("sealed_share", flat=True)
    ) == {b""}

    to_decryption(opening)
    BidOpening.objects.filter(bid=opening.bids[2]).update(status=OpeningStatus.FAILED)
    # daphne runs on the real clock, which must be past the deadline for any share to be
    # released: move the deadline a minute before the real now (this process stands later).
    real_now = dt.datetime.fromtimestamp(time_machine.escape_hatch.time.time(), tz=dt.UTC)
    Section.objects.filter(pk=section.pk).update(bid_deadline=real_now - dt.timedelta(minutes=1))
    rescue.start_rescue(hall=opening.hall, person=opening.host)
    share = ("share", "--section", section.code)
    given = [  # the regulator first [E31]
        ggzy_bid(platform.url, people[i].person, tmp_path, *share, "--key", people[i].key)
        for i in (2, 3)
    ]

    assert [r.returncode for r in given] == [0, 0], [r.stderr for r in given]
    assert "rescued: 0" in given[0].stdout and "rescued: 1" in given[1].stdout
    rescued = BidOpening.objects.get(bid=opening.bids[2])
    assert rescued.key_source == "opening_key" and rescued.status == OpeningStatus.DECRYPTING


def test_a_holder_who_never_takes_part_is_excluded_and_the_other_two_make_the_key(
    platform: servers.Running,
    draft: Section,
    tenderee: Person,
    people: dict[int, Holder],
    tmp_path: Path,
) -> None:
    ceremony.start(section=draft, actor=tenderee)
    running = take_part(platform.url, draft, [people[1], people[2]], tmp_path)
    until(lambda: KeyDealing.objects.filter(holder__ceremony__section=draft).count() == 2, running)
    # The deadline passes (moved: daphne's clock is the real one) and the chronograph acts.
    with transaction.atomic():
        real_now = dt.datetime.now(dt.UTC)  # no travel in this test
        KeyCeremony.objects.filter(section=draft).update(
            deadline=real_now - dt.timedelta(seconds=1)
        )
        chronograph.apply_time_events(draft.pk)
    results = finish(running)

    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    found = KeyCeremony.objects.get(section=draft)
    assert found.status == CeremonyStatus.COMPLETE
    assert found.holders.get(index=3).excluded == ceremony.SILENT
    draft.refresh_from_db()
    key = sum_of_constant_commitments(dealings(draft), (1, 2))
    assert draft.opening_key_pem == key.to_pem().decode()
    # Excluded as a dealer, the tenderee still holds a share: the two dealers' sub-shares.
    assert OpeningKeyShare.objects.filter(section=draft, index=3).exists()
    step = ("opening-key", "ceremony", "--section", draft.code, "--key", people[3].key)
    late = ggzy_bid(platform.url, people[3].person, tmp_path, *step)
    assert late.returncode == 0, late.stderr
    assert "checked the sub-shares from the 2 qualified dealers: all valid" in late.stdout


def corrupt_dealing(
    section: Section,
    holder: Holder,
    keys: dict[int, sm2.SM2PublicKey],
    owners: dict[int, sm2.SM2PrivateKey],
) -> None:
    """The tenderee's dealing, with the sub-shares for the centre and the regulator off its
    polynomial (they decrypt, but fail the commitments), posted with a valid signature."""
    found = KeyCeremony.objects.get(section=section)
    dealing = dkg.deal(
        section=section.code,
        ceremony=str(found.pk),
        dealer=holder.index,
        threshold=found.threshold,
        recipients=keys,
    )
    document = dealing.document()
    for victim in (1, 2):
        own = dkg.open_sub_share(dealing, victim, owners[victim])
        wrong = Share(victim, (own.value + 1) % curve.N)
        document["sealed"][str(victim)] = seal_share(wrong, keys[victim]).hex()
    signature = owners[holder.index].sign(dkg.dealing_message(document))
    ceremony.deal(section=section, person=holder.person, document=document, signature=signature)


def test_a_holder_whose_dealing_fails_its_commitments_is_complained_against_and_excluded(
    platform: servers.Running,
    draft: Section,
    tenderee: Person,
    holders: Holders,
    people: dict[int, Holder],
    tmp_path: Path,
) -> None:
    ceremony.start(section=draft, actor=tenderee)
    codes = {1: holders.centre, 2: holders.regulator, 3: holders.tenderee}
    owners = {i: holders.keys[org.credit_code] for i, org in codes.items()}
    corrupt_dealing(draft, people[3], {i: k.public_key() for i, k in owners.items()}, owners)
    running = take_part(platform.url, draft, [people[1], people[2]], tmp_path)
    until(
        lambda: KeyVerification.objects.filter(holder__ceremony__section=draft).count() == 2,
        running,
    )
    found = KeyCeremony.objects.get(section=draft)
    own_verdict = dkg.Verification(
        section=draft.code, ceremony=str(found.pk), holder=3, complaints=()
    ).document()
    signature = owners[3].sign(dkg.verification_message(own_verdict))
    ceremony.verify(section=draft, person=tenderee, document=own_verdict, signature=signature)
    results = finish(running)

    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert all("complaint against" in r.stdout and "(3)" in r.stdout for r in results)
    found.refresh_from_db()
    assert found.status == CeremonyStatus.COMPLETE
    assert found.holders.get(index=3).excluded == dkg.FAILS_COMMITMENT
    draft.refresh_from_db()
    key = sum_of_constant_commitments(dealings(draft), (1, 2))
    assert draft.opening_key_pem == key.to_pem().decode()
    for verification in KeyVerification.objects.filter(holder__index__in=(1, 2)):
        complaint = verification.document["complaints"]
        assert [(c["against"], c["reason"]) for c in complaint] == [(3, "fails_commitment")]
