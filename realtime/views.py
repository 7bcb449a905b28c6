"""The opening hall's page: one page for everyone; what it shows and offers follows the
viewer's role in the snapshot (host, bidder, regulator, public). Everything live comes from
the websocket (docs/hall-protocol.md) through static/js/hall.js."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import CreditKind
from deposits.positions import LABELS as DEPOSIT_LABELS
from ggzy_core.gm.envelope import sheet
from realtime import access, attendance, guide, stages
from realtime.models import Decision, Hall, HallStage, OpeningStatus

# The stages a running hall goes through, in order (for the page's progress line).
STEPS = list(guide.ORDER[1:])


def _labels() -> dict[str, Any]:
    return {
        "stages": {
            **{value: str(label) for value, label in HallStage.choices},
            # "Closed" alone is the bid deadline's 已截止 elsewhere; a hall that closed has ended.
            HallStage.CLOSED: pgettext("hall stage", "Closed"),
        },
        "statuses": {value: str(label) for value, label in OpeningStatus.choices},
        "decisions": {value: str(label) for value, label in Decision.choices},
        "deposits": {state: str(label) for state, label in DEPOSIT_LABELS.items()},
        "credit": {value: str(label) for value, label in CreditKind.choices},
        "roles": {
            "host": _("Host"),
            "bidder": _("Bidder"),
            "regulator": _("Regulator"),
            "tenderee": "招标人 / Tenderee",
            "public": _("Observer"),
        },
        # The sheet's items and their names are ggzy_core's (one list, every consumer).
        "items": {item.name: item.label(get_language() or "zh") for item in sheet.ITEMS},
    }


def _messages() -> dict[str, str]:
    """The words hall.js shows (gettext here, so the page needs no JavaScript catalogue)."""
    return {
        "live": _("Live"),
        "polling": _("Live connection unavailable: refreshing every 2 seconds"),
        "reconnecting": _("Reconnecting…"),
        "to_opening": _("Opening in"),
        "to_deadline": _("Time left in this stage"),
        "window_over": _("The window has closed"),
        "yes": _("Yes"),
        "none": _("None yet"),
        "next": _("Next: %(stage)s"),
        "no_next": _("Nothing more to do"),
        "waiting_host": _("Waiting for the host"),
        "working": _("Working…"),
        "signed_in": _("You have signed in."),
        "sign_in_rule": attendance.SIGN_IN_RULE,  # bilingual already: the tool prints it too
        "unlocked": _("Content key accepted: your bid is being decrypted."),
        "answered_confirm": _("You have confirmed the reading with your signature."),
        "answered_object": _("You have objected to the reading with your signature."),
        "objection_sent": _("Objection submitted."),
        "answer_sent": _("Answer recorded."),
        "advanced": _("Moved on to: %(stage)s"),
        "choose_bid": _("Choose your sealed bid file (.gbid)."),
        "choose_key": _("Choose your private key file (.pem)."),
        "wrong_section": _("This bid file was sealed for another section"),
        "no_bid": _("You have no bid in this hall."),
        "write_text": _("Write the text first."),
        "answer": _("Answer"),
        "answer_placeholder": _("The host's answer, recorded in the opening record"),
        "unanswered": _("Not answered yet"),
        "queue": _("No. %(position)s in the queue"),
        "refused": _("Refused"),
        "col_number": _("No."),
        "col_bidder": _("Bidder"),
        "col_status": _("Status"),
        "col_answer": _("Answer to the reading"),
        "credit_in_force": _("Credit record in force"),
    }


@require_safe
def hall_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        current = access.hall_for(request.user, code)
    except Hall.DoesNotExist as exc:  # a section published before it had a hall
        raise Http404 from exc
    section = current.section
    api = reverse("api:hall", args=[section.code])
    labels = _labels()
    config = {
        "code": section.code,
        "api": api,
        "socket": f"/ws/halls/{section.code}/",
        "steps": list(STEPS),
        "next": dict(stages.NEXT),
        "answers_objections": access.answers_objections(request.user, current),
        "labels": labels,
        "messages": _messages(),
    }
    return render(
        request,
        "realtime/hall.html",
        {
            "hall": current,
            "section": section,
            "stage_label": labels["stages"][current.stage],
            "guide": guide.where(current),
            "config": config,
            "api": api,
        },
    )
