"""Shared fixtures. Three standard people: the owner (manages a bidder organisation), the
other party (manages another bidder organisation) and an outsider (logged in, no rights)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from accounts.models import Organisation, Person, Role
from accounts.second_factor import confirmed_device
from ggzy import signing
from tests import node as nodejs
from tests import tools
from tests.factories import OrganisationFactory, PersonFactory

# Hypothesis (the fuzz tests, tests/fuzz/). "ci" is the default: a fixed number of examples,
# derandomized (the same inputs on every run and machine, so a failure reproduces from the
# log), no example database. "dev" runs 20 times as many random examples and remembers
# failures: HYPOTHESIS_PROFILE=dev pytest tests/fuzz. The deadline is generous on purpose (a
# loaded 2-core CI machine); the fuzz tests bound work per input byte themselves.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=dt.timedelta(seconds=10),
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)
hypothesis_settings.register_profile(
    "dev", deadline=dt.timedelta(seconds=10), suppress_health_check=_SLOW_OK
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Django recreates a file-based SQLite test database but leaves its -wal/-shm files;
    stale ones make the next process that opens it fail with "disk I/O error"."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        name = Path(database.get("TEST", {}).get("NAME") or "")
        for stale in (name, name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm")):
            if name.name:
                stale.unlink(missing_ok=True)


def pytest_configure(config: pytest.Config) -> None:
    """tests/tools.py is a plugin: the ``requires`` marker, and no silent skip under CI."""
    if not config.pluginmanager.has_plugin(tools.PLUGIN):
        config.pluginmanager.register(tools, tools.PLUGIN)
    config.addinivalue_line("markers", "slow: runs for half a minute or more; started first")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first within each of pytest-django's groups (tests in a transaction,
    then transactional ones — whose flush drops the data migrations' rows —, then the rest);
    a stable sort: the others keep their order. pytest-xdist's load scheduling hands tests
    out in this order, so workers start on the slow ones instead of one worker ending the
    run alone on a slow test collected last."""
    items.sort(key=lambda item: (_django_group(item), item.get_closest_marker("slow") is None))


def _django_group(item: pytest.Item) -> int:
    """pytest-django's order (its pytest_collection_modifyitems): 0 in a transaction, 1
    transactional, 2 no database."""
    from django.test import TestCase, TransactionTestCase

    cls = getattr(item, "cls", None)
    if cls is not None and issubclass(cls, TransactionTestCase):
        return 0 if issubclass(cls, TestCase) else 1
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    transactional = "transactional_db" in fixtures or "live_server" in fixtures
    if marker is not None:
        transactional = transactional or bool(
            marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
        )
    if transactional:
        return 1
    return 0 if marker is not None or "db" in fixtures else 2


requires_postgres = tools.requires(
    connection.vendor == "postgresql",
    "needs PostgreSQL (set DATABASE_URL): triggers and row locks are PostgreSQL's",
)
requires_redis = tools.requires(
    os.environ.get("REDIS_URL"),
    "needs Redis (set REDIS_URL): daphne processes share hall events through its channel layer",
)


@pytest.fixture(autouse=True)
def _isolated_var(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Uploaded files go to a temporary directory, never the developer's var/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    yield


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    """Rate-limit histories live per address in the shared Redis cache: a test that travelled
    in time leaves timestamps from its future there, which would throttle a later test's
    real-time requests (and the server processes it starts, which read the same Redis
    database) for weeks. Every test starts without them."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return  # the in-memory cache of one process; servers need Redis anyway
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        stale = list(client.scan_iter(match="*throttle_*", count=1000))
        if stale:
            client.delete(*stale)
    finally:
        client.close()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """Test people's passwords hashed cheaply (tests/hashers.py); production's hashers follow,
    so hashes made with them still verify."""
    from django.conf import settings
    from django.contrib.auth import hashers

    old = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["tests.hashers.FastPBKDF2PasswordHasher", *old]
    hashers.reset_hashers(setting="PASSWORD_HASHERS")  # set directly: no setting_changed
    yield
    settings.PASSWORD_HASHERS = old
    hashers.reset_hashers(setting="PASSWORD_HASHERS")


@pytest.fixture(scope="session", autouse=True)
def _validate_ocds_releases() -> Iterator[None]:
    """Every OCDS release any test makes is checked against the official schema when it is
    written (supervision/opendata/services.py): an invalid release fails that test."""
    from django.conf import settings

    old = settings.OCDS_VALIDATE_RELEASES
    settings.OCDS_VALIDATE_RELEASES = True
    yield
    settings.OCDS_VALIDATE_RELEASES = old


@pytest.fixture(scope="session", autouse=True)
def _platform_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One throw-away platform signing key for the whole run."""
    from django.conf import settings

    path = tmp_path_factory.mktemp("keys") / "platform.pem"
    from ggzy_core.gm import sm2

    path.write_bytes(sm2.generate_private_key().to_pem())
    old = settings.PLATFORM_SIGNING_KEY_FILE, settings.PLATFORM_SIGNING_KEY_PASSWORD
    settings.PLATFORM_SIGNING_KEY_FILE = str(path)
    settings.PLATFORM_SIGNING_KEY_PASSWORD = ""
    signing.platform_private_key.cache_clear()
    yield
    settings.PLATFORM_SIGNING_KEY_FILE, settings.PLATFORM_SIGNING_KEY_PASSWORD = old
    signing.platform_private_key.cache_clear()


@pytest.fixture
def owner_organisation(db: None) -> Organisation:
    return OrganisationFactory.create(name="江南建工集团有限公司")


@pytest.fixture
def owner(owner_organisation: Organisation) -> Person:
    return PersonFactory.create(
        username="owner", organisation=owner_organisation, is_organisation_admin=True
    )


@pytest.fixture
def other_party(db: None) -> Person:
    return PersonFactory.create(username="other", is_organisation_admin=True)


@pytest.fixture
def outsider(db: None) -> Person:
    return PersonFactory.create(username="outsider", organisation=None, role=Role.EXPERT)


@pytest.fixture
def staff(db: None) -> Person:
    from accounts.models import OrganisationKind

    centre = OrganisationFactory.create(kind=OrganisationKind.CENTRE, name="交易中心")
    return PersonFactory.create(username="staff", organisation=centre, role=Role.STAFF)


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def pass_second_factor(client: Client, person: Person) -> bool:
    """Mark the client's session as past the second factor when ``person`` has a confirmed
    authenticator (what ``django_otp.login`` does after a right code); False if none."""
    device = confirmed_device(person)
    if device is None:
        return False
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return True


def api_client_for(person: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    """The ``node`` command, for the tests that run the pages' JavaScript (tests/node.py)."""
    if nodejs.NODE is None:
        pytest.fail(f"CI is set but there is no node: {nodejs.MISSING}", pytrace=False)
    yield nodejs.NODE
