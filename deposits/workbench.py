"""What deposits puts on the workbench (accounts/workbench.py): a bidder's deposits to pay
(amount, sub-account, deadline) and its refunds owed and received; the centre's refunds
due and overdue [R35, R57], and deposits and refunds per week.

A bidder reads only its own organisation's positions (deposits.positions.of with itself);
the centre reads through deposits.access (refunds_for, lines_for): nothing of a section
before its deadline — paying tells that one means to bid [E21]."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import workbench
from accounts.models import Person, Role
from deposits import access, positions
from deposits.collection import TAKING_DEPOSITS
from deposits.models import LineDirection, LineOutcome, Refund, RefundStatus, SubAccount
from trading import access as trading_access
from trading.models import DocumentDownload

LISTED_MAX = 20
CHART_WEEKS = 8
# How long a paid refund stays on the bidder's workbench.
RECEIVED_SHOWN = dt.timedelta(days=30)


def _yuan(amount: object) -> str:
    return f"{amount:,.2f}"


def bidder_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    organisation = person.organisation
    if organisation is None:
        return []
    # Sections taking deposits that this organisation follows: its own sub-account, or the
    # documents its people downloaded (both its own facts).
    followed = (
        trading_access.public_sections()
        .filter(status__in=TAKING_DEPOSITS, bid_deadline__gt=now, bid_deposit__gt=0)
        .filter(
            Q(pk__in=SubAccount.objects.filter(bidder=organisation).values("section"))
            | Q(
                pk__in=DocumentDownload.objects.filter(organisation=organisation).values(
                    "document__section"
                )
            )
        )
        .order_by("bid_deadline", "pk")[:LISTED_MAX]
    )
    to_pay = []
    for section in followed:
        position = positions.of(section, organisation)
        if position.covered:
            continue
        owed = max(position.required - position.paid, 0)
        where = (
            _("to sub-account %(account)s") % {"account": position.sub_account}
            if position.sub_account
            else _("open the payment notice for your sub-account")
        )
        to_pay.append(
            workbench.Item(
                _("Deposit for %(code)s: %(amount)s yuan")
                % {"code": section.code, "amount": _yuan(owed)},
                reverse("deposits:notice", kwargs={"code": section.code}),
                workbench.state_of(section.bid_deadline, now, can_be_late=False),
                section.bid_deadline,
                f"{position.label}; {where} " + _("(from your basic account [R26])"),
            )
        )
    refunds = []
    for refund in (
        Refund.objects.filter(payee=organisation)
        .filter(~Q(status=RefundStatus.PAID) | Q(paid_at__gte=now - RECEIVED_SHOWN))
        .select_related("section")
        .order_by("due_by")[:LISTED_MAX]
    ):
        code = refund.section.code if refund.section else "—"
        amount = _yuan(refund.total)
        if refund.status == RefundStatus.PAID:
            refunds.append(
                workbench.Item(
                    _("Refund received for %(code)s: %(amount)s yuan")
                    % {"code": code, "amount": amount},
                    reverse("deposits:mine"),
                    workbench.INFO,
                    None,
                    _("Paid to account %(account)s.") % {"account": refund.to_account},
                )
            )
        else:
            refunds.append(
                workbench.Item(
                    _("Refund owed for %(code)s: %(amount)s yuan")
                    % {"code": code, "amount": amount},
                    reverse("deposits:mine"),
                    workbench.state_of(refund.due_by, now),
                    refund.due_by,
                    _("To account %(account)s; %(reason)s")
                    % {"account": refund.to_account, "reason": refund.get_reason_display()},
                )
            )
    return [
        workbench.Panel(
            "deposits",
            _("Deposits to pay"),
            to_pay,
            order=20,
            empty=_("No deposit to pay for the sections you follow."),
            link=(reverse("deposits:mine"), _("My deposits")),
        ),
        workbench.Panel(
            "refunds",
            _("Refunds"),
            refunds,
            order=30,
            empty=_("No refund owed to you."),
        ),
    ]


def money_chart(person: Person, now: dt.datetime) -> workbench.Chart:
    """Deposits matched and refunds paid per week (Beijing weeks, Monday first), of the
    sections this person may see — their deadlines passed (deposits.access)."""
    weeks = workbench.week_starts(now, CHART_WEEKS)
    start = weeks[0]
    received = Counter(
        workbench.week_of(booked)
        for booked in access.lines_for(person)
        .filter(direction=LineDirection.CREDIT, outcome=LineOutcome.MATCHED)
        .filter(booked_at__date__gte=start - dt.timedelta(days=1))
        .values_list("booked_at", flat=True)
    )
    paid = Counter(
        workbench.week_of(moment)
        for moment in access.refunds_for(person)
        .filter(status=RefundStatus.PAID, paid_at__date__gte=start - dt.timedelta(days=1))
        .values_list("paid_at", flat=True)
        if moment is not None
    )
    return workbench.Chart(
        caption=_("Deposits received and refunds paid per week"),
        labels=[f"{week:%m-%d}" for week in weeks],
        series=[
            workbench.Series(_("Deposits received"), [received[week] for week in weeks]),
            workbench.Series(_("Refunds paid"), [paid[week] for week in weeks]),
        ],
    )


def centre_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    due = [
        workbench.Item(
            _("Refund to %(payee)s: %(amount)s yuan")
            % {"payee": refund.to_name or refund.to_account, "amount": _yuan(refund.total)},
            reverse("deposits:staff_section", kwargs={"code": refund.section.code})
            if refund.section
            else reverse("deposits:staff"),
            workbench.state_of(refund.due_by, now),
            refund.due_by,
            f"{refund.get_reason_display()} · {refund.get_status_display()}"
            + (f" · {refund.last_error}" if refund.last_error else ""),
        )
        for refund in access.refunds_for(person)
        .exclude(status=RefundStatus.PAID)
        .select_related("section")
        .order_by("due_by")[:LISTED_MAX]
    ]
    return [
        workbench.Panel(
            "refunds-due",
            _("Refunds due [R35, R57]"),
            due,
            order=30,
            empty=_("No refund is waiting."),
            link=(reverse("deposits:staff"), _("Deposits overview")),
            chart=money_chart(person, now),
        )
    ]


def register() -> None:
    workbench.register(bidder_panels, roles=[Role.BIDDER])
    workbench.register(centre_panels, roles=[Role.STAFF])
