"""Searching the ledger: the filters a regulator sets, the entries they find (only those a
reading view may show: ``ledger.visible``), and their export as CSV or JSON.

Sequence numbers are shown only before the first entry still under embargo: a later number
would count the hidden entries before it, and so the bids [E21] (``ledger.first_hidden``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Person
from ggzy import clock
from ggzy_core.times import BEIJING
from supervision import ledger, opaque_ids
from supervision.models import LedgerEntry
from supervision.portal import section_entries
from trading.models import Section

EXPORT_LIMIT = 100_000  # rows per export; narrow the filters for more
EXPORT_FORMATS = ("csv", "json")


class BeijingDateTimeField(forms.DateTimeField):
    """A datetime-local value is Beijing time, whatever zone the server runs in."""

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(BEIJING):
            return super().to_python(value)


class LedgerFilter(forms.Form):
    section = forms.CharField(label=_("Section code"), max_length=48, required=False)
    organisation = forms.CharField(
        label=_("Organisation (credit code)"), max_length=18, required=False
    )
    person = forms.CharField(label=_("Person (user name)"), max_length=150, required=False)
    action = forms.RegexField(
        label=_("Action (or its beginning)"),
        regex=r"^[a-z0-9_.]{1,100}$",
        max_length=100,
        required=False,
        error_messages={
            "invalid": _(
                "An action is lower-case words joined by dots, e.g. bidding.bid.received "
                "or just bidding."
            )
        },
    )
    since = BeijingDateTimeField(
        label=_("From (Beijing time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = BeijingDateTimeField(
        label=_("Until (Beijing time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    address = forms.GenericIPAddressField(label=_("Network address"), required=False)
    sequence = forms.IntegerField(label=_("Entry number"), min_value=1, required=False)
    # An entry's link id (supervision.opaque_ids): names one entry without counting any.
    entry = forms.RegexField(
        label=_("Entry link id"),
        regex=r"^[0-9a-f]{32}$",
        max_length=32,
        required=False,
        error_messages={
            "invalid": _("An entry's link id is 32 characters 0-9 and a-f: copy it whole.")
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(
                _("“From” is after “until”: swap them or widen the period.")
            )
        return data

    def filters(self) -> dict[str, Any]:
        """The filters set, as plain strings (for the ledger entry of the search itself)."""
        return {
            key: value.isoformat() if isinstance(value, dt.datetime) else value
            for key, value in self.cleaned_data.items()
            if value not in (None, "")
        }


def search(filters: dict[str, Any], *, now: dt.datetime | None = None) -> QuerySet[LedgerEntry]:
    """The visible entries matching ``filters`` (LedgerFilter's cleaned data), newest first."""
    moment = now or clock.now()
    entries = ledger.visible(moment)
    if code := filters.get("section"):
        section = Section.objects.filter(code=code).first()
        if section is None:
            return entries.none()
        entries = entries.filter(section_entries.entries_of(section))
    if organisation := filters.get("organisation"):
        entries = entries.filter(
            Q(actor_organisation=organisation) | Q(data__organisation=organisation)
        )
    if username := filters.get("person"):
        person_id = Person.objects.filter(username=username).values_list("pk", flat=True).first()
        by_person = Q(actor_name=username)
        if person_id is not None:  # (an unknown name must not match the system's entries)
            by_person |= Q(actor_person_id=person_id)
        entries = entries.filter(by_person)
    if action := filters.get("action"):
        entries = entries.filter(action__startswith=action)
    if since := filters.get("since"):
        entries = entries.filter(recorded_at__gte=since)
    if until := filters.get("until"):
        entries = entries.filter(recorded_at__lte=until)
    if address := filters.get("address"):
        entries = entries.filter(network_address=address)
    if sequence := filters.get("sequence"):
        hidden = ledger.first_hidden(moment)
        if hidden is not None and sequence >= hidden:
            # Asking for a number past a hidden entry would tell hidden numbers apart.
            return entries.none()
        entries = entries.filter(sequence=sequence)
    if entry := filters.get("entry"):
        # A hidden entry's id finds nothing, as one that does not exist (visible, above).
        entries = entries.filter(sequence=opaque_ids.sequence_of(LedgerEntry, entry) or 0)
    return entries.order_by("-sequence")


def shown_sequence(entry: LedgerEntry, hidden: int | None) -> int | None:
    return entry.sequence if hidden is None or entry.sequence < hidden else None


def rows(entries: QuerySet[LedgerEntry], hidden: int | None) -> Iterator[dict[str, Any]]:
    """The export's rows: the chain record of each entry, its number and hashes blanked
    where they would give away hidden entries (a previous hash that is no shown entry's hash
    tells that something hidden came between; the admin omits hashes for that reason)."""
    for entry in entries[:EXPORT_LIMIT].iterator(chunk_size=2000):
        record = ledger.record_of(entry)
        if shown_sequence(entry, hidden) is None:
            record.update(sequence=None, previous_hash="", entry_hash="")
        yield record


CSV_COLUMNS = (
    "sequence",
    "recorded_at",
    "actor_name",
    "actor_organisation",
    "actor_role",
    "network_address",
    "action",
    "target_type",
    "target_id",
    "data",
    "previous_hash",
    "entry_hash",
)


def csv_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    for record in records:
        writer.writerow(
            [
                record["sequence"] if record["sequence"] is not None else "",
                record["recorded_at"],
                record["actor"]["name"],
                record["actor"]["organisation"],
                record["actor"]["role"],
                record["network_address"] or "",
                record["action"],
                record["target"]["type"],
                record["target"]["id"],
                json.dumps(record["data"], ensure_ascii=False, sort_keys=True),
                record["previous_hash"],
                record["entry_hash"],
            ]
        )
        yield _drain(buffer)


def json_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, written one entry at a time (constant memory)."""
    yield "[\n"
    first = True
    for record in records:
        yield ("" if first else ",\n") + json.dumps(record, ensure_ascii=False, sort_keys=True)
        first = False
    yield "\n]\n"


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
