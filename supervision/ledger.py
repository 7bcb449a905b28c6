"""Append to, checkpoint and verify the audit ledger. Imports no other app.

Every state-changing action calls ``append`` inside its own transaction, so the entry
commits or rolls back with the change it records [E49]. Appenders serialise on the locked
``LedgerHead`` row; the chain stays unbroken with any number of processes. On PostgreSQL the
lock is released once the commit record is in the write-ahead log, before it is flushed:
the flush is waited for right after COMMIT, outside the lock, so concurrent appenders share
fsyncs (``ledger_postgres``; docs/ledger.md, "Appends and concurrency").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from ggzy import clock, signing
from ggzy_core import ledger_chain as chain
from ggzy_core.canonical import canonical
from supervision import ledger_postgres
from supervision.models import LedgerCheckpoint, LedgerEmbargo, LedgerEntry, LedgerHead

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# An embargo scope: a dotted owner name, a colon, an identifier ("trading.section:12").
SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+:[A-Za-z0-9_-]{1,40}$")
# Keys whose values never reach the ledger: passwords, private keys, content keys, tokens,
# key shares. Matched anywhere in a key name, case-insensitively.
SECRET_KEY_PATTERN = re.compile(
    r"pass(word|phrase)?|secret|private|content_key|session_key|token|share|otp|pin$",
    re.IGNORECASE,
)
MASK = "***"


class LedgerError(ValueError):
    """A malformed append (bad action name, data that cannot be encoded)."""


@dataclass(frozen=True)
class Actor:
    person_id: int | None = None
    name: str = ""
    organisation: str = ""
    role: str = ""

    @classmethod
    def of(cls, user: Any) -> Actor:
        """An actor from a person (duck-typed: the ledger knows no accounts model)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return ANONYMOUS
        organisation = getattr(user, "organisation", None)
        return cls(
            person_id=user.pk,
            name=user.get_username(),
            organisation=getattr(organisation, "credit_code", "") or "",
            role=str(getattr(user, "role", "") or ""),
        )

    def as_record(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "name": self.name,
            "organisation": self.organisation,
            "role": self.role,
        }


ANONYMOUS = Actor(name="anonymous")
SYSTEM = Actor(name="system", role="system")


@dataclass(frozen=True)
class Context:
    """Who is acting and from where, for the current request, consumer or task."""

    address: str | None = None
    user: Any = None


_context: ContextVar[Context | None] = ContextVar("ledger_context", default=None)


@contextmanager
def acting(*, address: str | None = None, user: Any = None) -> Iterator[None]:
    token = _context.set(Context(address=address, user=user))
    try:
        yield
    finally:
        _context.reset(token)


@dataclass(frozen=True)
class Pending:
    """One entry to append with ``append_many``: the arguments of ``append``."""

    action: str
    actor: Actor | Any = None
    target: Any = None
    data: Mapping[str, Any] | None = None
    address: str | None = None
    embargo: str = ""


def append(
    action: str,
    *,
    actor: Actor | Any = None,
    target: Any = None,
    data: Mapping[str, Any] | None = None,
    address: str | None = None,
    embargo: str = "",
) -> LedgerEntry:
    """Write one entry, chained to the one before it.

    ``actor`` is an ``Actor`` or a person; without it the current context's user (or
    ``SYSTEM`` outside any request) acts. ``target`` is a model instance or a
    ``(type, id)`` pair. ``data`` is masked (secret-looking keys) before it is stored.
    ``embargo`` names a scope (``"trading.section:12"``): the entry is hidden from reading
    views while that scope is sealed (``seal``, ``visible``), and if it never was.
    """
    pending = Pending(action, actor, target, data, address, embargo)
    return append_many([pending])[0]


def append_many(pending: Sequence[Pending]) -> list[LedgerEntry]:
    """Write several entries in order under one lock of the head (a statement import
    ledgers a thousand sections at once): each is exactly what ``append`` would write."""
    context = _context.get() or Context()
    prepared = [_prepare(item, context) for item in pending]
    if not prepared:
        return []
    with transaction.atomic():
        connection = transaction.get_connection()
        postgres = connection.vendor == "postgresql"
        locked = ledger_postgres.lock_head(connection) if postgres else None
        if locked is None:
            head = _locked_head()
            locked = head.sequence, head.entry_hash
        sequence, previous = locked
        # Read after taking the lock, so time never runs backwards along the chain.
        recorded_at = _iso(clock.now())
        entries = []
        for record in prepared:
            sequence += 1
            record.update(sequence=sequence, recorded_at=recorded_at, previous_hash=previous)
            record["entry_hash"] = previous = chain.entry_hash(record)
            entries.append(LedgerEntry(**_columns(record)))
        if postgres:
            ledger_postgres.store(connection, entries, sequence, previous)
        else:
            LedgerEntry.objects.bulk_create(entries)
            LedgerHead.objects.filter(pk=1).update(sequence=sequence, entry_hash=previous)
    return entries


def _prepare(item: Pending, context: Context) -> dict[str, Any]:
    """The entry's record but for its place in the chain (sequence, time, hashes)."""
    if not ACTION_PATTERN.match(item.action):
        raise LedgerError(f"ledger action must be a dotted lower-case name, got {item.action!r}")
    if item.embargo:
        _check_scope(item.embargo)
    who = _resolve_actor(item.actor, context)
    target_type, target_id = _target(item.target)
    try:
        clean = _jsonable(mask_secrets(dict(item.data or {})))
        canonical(clean)
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"ledger data for {item.action} cannot be encoded: {exc}") from exc
    return {
        "sequence": 0,
        "recorded_at": "",
        "actor": who.as_record(),
        "network_address": item.address or context.address,
        "action": item.action,
        "target": {"type": target_type, "id": target_id},
        "data": clean,
        "embargo": item.embargo or None,
        "previous_hash": "",
    }


def seal(scope: str, *, until: dt.datetime) -> None:
    """Hide the entries of ``scope`` until ``until``; moves an existing seal (later or
    earlier). Call it in the transaction that sets or moves the time it follows, so that
    the embargo and, say, the deadline never disagree [R21]."""
    _check_scope(scope)
    LedgerEmbargo.objects.update_or_create(scope=scope, defaults={"until": until})


def visible(now: dt.datetime | None = None) -> QuerySet[LedgerEntry]:
    """Entries a reading view may show now: those without an embargo scope, and those whose
    scope's seal has passed. A scope that was never sealed stays hidden (fail closed)."""
    moment = now or clock.now()
    lifted = LedgerEmbargo.objects.filter(until__lte=moment).values("scope")
    return LedgerEntry.objects.filter(Q(embargo="") | Q(embargo__in=lifted))


def mask_secrets(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: MASK if SECRET_KEY_PATTERN.search(str(key)) else mask_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(item) for item in value]
    return value


def checkpoint() -> LedgerCheckpoint | None:
    """Sign the current head with the platform key; ``None`` if there is nothing new.

    "New" means an entry without an embargo scope since the last checkpoint: when
    checkpoints appear must not tell a reader that embargoed entries (bids) were written
    in a quiet interval [E21]. An embargoed tail is signed with the next plain entry.
    """
    head = LedgerHead.objects.filter(pk=1).first()
    if head is None or head.sequence == 0:
        return None
    last = LedgerCheckpoint.objects.order_by("-sequence").values_list("sequence", flat=True)
    signed = last.first() or 0
    if not LedgerEntry.objects.filter(sequence__gt=signed, embargo="").exists():
        return None
    signed_at = _iso(clock.now())
    message = chain.checkpoint_message(
        sequence=head.sequence, entry_hash=head.entry_hash, signed_at=signed_at
    )
    try:
        with transaction.atomic():
            point = LedgerCheckpoint.objects.create(
                sequence=head.sequence,
                entry_hash=head.entry_hash,
                signed_at=dt.datetime.fromisoformat(signed_at),
                key_fingerprint=signing.platform_public_key().fingerprint(),
                signature=signing.platform_sign(message),
            )
    except IntegrityError:
        return None  # another process signed this head first
    # Not ledgered itself: the checkpoint is a signed, append-only row of its own, and an
    # entry per checkpoint would leave the head forever unsigned on an idle platform.
    return point


_RECORD_COLUMNS = (
    "sequence",
    "recorded_at",
    "actor_person_id",
    "actor_name",
    "actor_organisation",
    "actor_role",
    "network_address",
    "action",
    "target_type",
    "target_id",
    "data",
    "embargo",
    "previous_hash",
    "entry_hash",
)


def entry_records() -> Iterator[dict[str, Any]]:
    """Every entry as a chain record, streamed in order (plain tuples: no model instances)."""
    rows = LedgerEntry.objects.order_by("sequence").values_list(*_RECORD_COLUMNS)
    for row in rows.iterator(chunk_size=5000):
        yield _record(dict(zip(_RECORD_COLUMNS, row, strict=True)))
    make_durable()


def make_durable() -> None:
    """Return once every entry committed so far is flushed. Call it after reading entries
    and before handing them on (an export, a verdict, an archive package).

    An appender's commit is visible a moment before it is flushed (``ledger_postgres``):
    what is handed on must not name an entry that a crash in that moment could still take
    back, or the next appender would reuse its sequence and fork the chain from the copy.
    Everything read before this call was committed before this wait's own commit.
    """
    if transaction.get_connection().vendor == "postgresql":
        ledger_postgres.wait_until_durable()


def checkpoint_records() -> list[dict[str, Any]]:
    return [
        {
            "sequence": point.sequence,
            "entry_hash": point.entry_hash,
            "signed_at": _iso(point.signed_at),
            "key_fingerprint": point.key_fingerprint,
            "signature": bytes(point.signature).hex(),
        }
        for point in LedgerCheckpoint.objects.order_by("sequence")
    ]


def verify() -> chain.Verdict:
    """Verify the stored chain against the platform's current public key."""
    key = signing.platform_public_key()
    return chain.verify(entry_records(), checkpoint_records(), {key.fingerprint(): key})


def record_of(entry: LedgerEntry) -> dict[str, Any]:
    return _record({column: getattr(entry, column) for column in _RECORD_COLUMNS})


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "sequence": row["sequence"],
        "recorded_at": _iso(row["recorded_at"]),
        "actor": {
            "person_id": row["actor_person_id"],
            "name": row["actor_name"],
            "organisation": row["actor_organisation"],
            "role": row["actor_role"],
        },
        "network_address": row["network_address"],
        "action": row["action"],
        "target": {"type": row["target_type"], "id": row["target_id"]},
        "data": row["data"],
        "embargo": row["embargo"] or None,
        "previous_hash": row["previous_hash"],
        "entry_hash": row["entry_hash"],
    }


def _columns(record: dict[str, Any]) -> dict[str, Any]:
    actor = record["actor"]
    return {
        "sequence": record["sequence"],
        "recorded_at": dt.datetime.fromisoformat(record["recorded_at"]),
        "actor_person_id": actor["person_id"],
        "actor_name": actor["name"],
        "actor_organisation": actor["organisation"],
        "actor_role": actor["role"],
        "network_address": record["network_address"],
        "action": record["action"],
        "target_type": record["target"]["type"],
        "target_id": record["target"]["id"],
        "data": record["data"],
        "embargo": record["embargo"] or "",
        "previous_hash": record["previous_hash"],
        "entry_hash": record["entry_hash"],
    }


def _check_scope(scope: str) -> None:
    if not SCOPE_PATTERN.match(scope):
        raise LedgerError(f"an embargo scope looks like 'trading.section:12', got {scope!r}")


def _locked_head() -> LedgerHead:
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    # First append (or the head row was lost): rebuild it from the last entry. Two
    # processes may race here; the loser's insert fails and it locks the winner's row.
    last = LedgerEntry.objects.order_by("-sequence").first()
    try:
        with transaction.atomic():
            LedgerHead.objects.create(
                pk=1,
                sequence=last.sequence if last else 0,
                entry_hash=last.entry_hash if last else chain.GENESIS_HASH,
            )
    except IntegrityError:
        pass
    return LedgerHead.objects.select_for_update().get(pk=1)


def _resolve_actor(actor: Actor | Any, context: Context) -> Actor:
    if isinstance(actor, Actor):
        return actor
    if actor is not None:
        return Actor.of(actor)
    if context.user is not None:
        return Actor.of(context.user)
    return SYSTEM


def _target(target: Any) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        kind, ident = target
        return str(kind), str(ident)
    return target._meta.label_lower, str(target.pk)


def _jsonable(value: Any) -> Any:
    """Decimals become strings (money is never a float), times ISO strings."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def first_hidden(now: dt.datetime | None = None) -> int | None:
    """The sequence of the first entry a reading view may not show now (``visible``), or
    ``None``. A later entry's sequence counts the hidden ones before it, so reading views
    show no sequence from here on [E21]."""
    moment = now or clock.now()
    lifted = LedgerEmbargo.objects.filter(until__lte=moment).values("scope")
    hidden = LedgerEntry.objects.exclude(embargo="").exclude(embargo__in=lifted)
    return hidden.order_by("sequence").values_list("sequence", flat=True).first()
