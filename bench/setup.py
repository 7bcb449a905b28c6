"""What the benches that need a running platform share: a scratch environment (a temporary
directory with SQLite, or a PostgreSQL database of the bench's own), organisations with
bound SM2 keys, a section open for bids, bids sealed by their bidders and uploaded through
the services (no HTTP), and the hall opened at the deadline.

Call :func:`scratch` before anything imports Django settings; the other functions need
:func:`django_setup` first. Everything runs in the bench's own process.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit, urlunsplit

from ggzy_core.gm import envelope, sm2

if TYPE_CHECKING:
    from accounts.models import Person
    from bidding.models import Bid
    from realtime.models import Hall
    from trading.models import Section

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-2026!"  # noqa: S105 - the bench's throw-away people
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis at {url} does not answer ({exc}): set REDIS_URL") from exc


def _admin_connection(base: str) -> Any:
    import psycopg

    admin = urlunsplit(urlsplit(base)._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True)


@contextmanager
def scratch(
    name: str, *, redis: str | None = None, postgres: bool = True
) -> Iterator[tuple[Path, str]]:
    """A temporary directory and database for one bench run; yields (directory, database
    description). Sets this process's environment (servers started later inherit it):
    DEBUG, the var directory, the database (``DATABASE_URL`` if it names PostgreSQL and
    ``postgres`` is allowed: a fresh ``ggzy_bench_<name>`` database next to it, dropped
    afterwards; otherwise SQLite in the directory), file storage, ``REDIS_URL`` only if
    ``redis`` is given."""
    work = Path(tempfile.mkdtemp(prefix=f"ggzy-bench-{name}-"))
    base = os.environ.get("DATABASE_URL", "")
    database = ""
    if postgres and base.startswith("postgres"):
        database = f"ggzy_bench_{name}"
        with _admin_connection(base) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {database}")
        url = urlunsplit(urlsplit(base)._replace(path=f"/{database}"))
    else:
        url = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.update(
        {
            "DEBUG": "true",
            "GGZY_VAR_DIR": str(work / "var"),
            "DATABASE_URL": url,
            "XDG_CONFIG_HOME": str(work),
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_STORAGE_BUCKET_NAME", None)  # file storage: the benches read it
    if redis:
        os.environ["REDIS_URL"] = redis
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        yield work, (f"PostgreSQL ({database})" if database else "SQLite")
    finally:
        if database:
            from django.db import connections

            connections.close_all()
            with _admin_connection(base) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)


def django_setup() -> None:
    """Set Django up and migrate. Passwords of the bench's people are hashed cheaply: a
    hundred bidders at PBKDF2's real cost would take most of a minute and measure nothing."""
    import django
    from django.conf import settings

    django.setup()
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)


def close_connections() -> None:
    """Before other processes use the database (SQLite: release the file)."""
    from django.db import connections

    connections.close_all()


@dataclass
class Party:
    person: Person
    key: sm2.SM2PrivateKey

    @property
    def credit_code(self) -> str:
        assert self.person.organisation is not None
        return self.person.organisation.credit_code


@dataclass
class Parties:
    centre: Party  # its admin is centre staff: the hall's host
    regulator: Party
    tenderee: Party
    bidders: list[Party]


def credit_code(index: int) -> str:
    from accounts.credit_code import with_check_character

    return with_check_character(f"91320100MA9B{index:05d}")


def _register(kind: str, index: int, username: str, actor: Person | None) -> Party:
    from accounts import services as accounts

    person = accounts.organisation_register(
        name=f"bench {username}",
        credit_code=credit_code(index),
        kind=kind,
        legal_representative="bench",
        admin_username=username,
        admin_password=PASSWORD,
        actor=actor,
    )
    key = sm2.generate_private_key()
    assert person.organisation is not None
    accounts.key_bind(
        organisation=person.organisation, actor=person, key_data=key.public_key().to_pem()
    )
    return Party(person, key)


def superuser() -> Person:
    from accounts.models import Person

    return Person.objects.filter(is_superuser=True).first() or Person.objects.create_superuser(
        "bench-admin", "", PASSWORD
    )


def parties(bidders: int) -> Parties:
    """Centre, regulator and tenderee (credit codes …00001-3), then the bidders (…00004 on);
    a single bidder's username is ``bidder``, several are ``bidder001``…"""
    admin = superuser()
    centre = _register("centre", 1, "centre", admin)
    regulator = _register("regulator", 2, "regulator", admin)
    tenderee = _register("tenderee", 3, "tenderee", None)
    names = ["bidder"] if bidders == 1 else [f"bidder{n:03d}" for n in range(1, bidders + 1)]
    return Parties(
        centre,
        regulator,
        tenderee,
        [_register("bidder", 4 + n, name, None) for n, name in enumerate(names)],
    )


def section_for_bids(parties: Parties) -> Section:
    """A published section taking bids now, its deadline three weeks away."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ggzy import clock
    from trading import chronograph, documents
    from trading import services as trading
    from trading.models import Category, EvaluationMethod, OpeningKeyMode

    centre, regulator = parties.centre.person.organisation, parties.regulator.person.organisation
    assert centre is not None and regulator is not None
    tenderee = parties.tenderee.person
    project = trading.project_create(
        actor=tenderee, code="BENCH-1", name="bench", centre=centre, regulator=regulator
    )
    now = clock.now()
    section = trading.section_create(
        project=project,
        actor=tenderee,
        name="bench",
        category=Category.GOODS,
        estimated_price=10**9,
        bid_deposit=0,
        documents_from=now,
        bid_deadline=now + dt.timedelta(days=21),
        evaluation_method=EvaluationMethod.LOWEST_PRICE,
        opening_key_mode=OpeningKeyMode.DEALT,  # the bench measures bids, not the ceremony
    )
    documents.document_issue(
        section=section, actor=tenderee, title="t", upload=SimpleUploadedFile("t.txt", b"t")
    )
    trading.section_publish(section=section, actor=tenderee)
    chronograph.apply_time_events(section.pk)
    section.refresh_from_db()
    return section


def seal(
    section: Section,
    bidder: Party,
    files: Sequence[Path],
    out: BinaryIO,
    sheet: Mapping[str, Any] | None = None,
) -> envelope.SealResult:
    """Seal as the bidder's tool does, to the bidder's key and the section's opening key;
    each bid gets its own machine fingerprint (no collusion flags between bench bidders)."""
    from ggzy_core.gm.sm3 import sm3_hex

    return envelope.seal(
        out=out,
        files=files,
        sheet=sheet or {"price": "1000.00"},
        section_id=section.pk,
        section_code=section.code,
        bidder_credit_code=bidder.credit_code,
        signing_key=bidder.key,
        recipients=[
            envelope.Recipient(
                envelope.OPENING_ROLE, sm2.load_public_key(section.opening_key_pem.encode())
            )
        ],
        client=envelope.ClientInfo(
            sm3_hex(bidder.credit_code.encode()), (), str(uuid.uuid4()), "bench"
        ),
    )


def upload(section: Section, bidder: Party, sealed: BinaryIO, length: int) -> Bid:
    """Upload a sealed bid through the services in parts of at most 16 MiB, as the
    resumable protocol's PATCHes would; the last part verifies and files the bid."""
    from bidding import services
    from bidding.models import Bid
    from bidding.rules import MAX_PART_BYTES

    started, _new = services.upload_create(
        section=section,
        person=bidder.person,
        length=length,
        idempotency_key=f"bench-{uuid.uuid4()}",
    )
    current = started
    while current.offset < length:
        part = sealed.read(min(MAX_PART_BYTES, length - current.offset))
        current = services.upload_append(
            upload=current, person=bidder.person, offset=current.offset, stream=io.BytesIO(part)
        )
    return Bid.objects.get(upload=current)


def open_hall(section: Section) -> Hall:
    """Bring the deadline to now (every bid is in) and let the chronograph open the hall:
    the section goes to opening and the hall to sign-in."""
    from ggzy import clock
    from realtime.models import Hall, HallStage
    from trading import chronograph
    from trading.models import Section

    Section.objects.filter(pk=section.pk).update(bid_deadline=clock.now())
    chronograph.apply_time_events(section.pk)
    hall = Hall.objects.get(section=section)
    assert hall.stage == HallStage.SIGN_IN, hall.stage
    return hall
