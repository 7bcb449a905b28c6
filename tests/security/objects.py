"""Which object each route's parameters name in a world: the section's own bid, bidder,
documents… so that a cell says what one role may do to this section's things."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from accounts.models import Organisation
from accounts.services import CENTRE_STAFF_GROUP
from supervision.admin import opaque_id
from supervision.models import LedgerCheckpoint, LedgerEntry
from tests.security import (
    alerts_world,
    archive_world,
    award_world,
    ceremony_world,
    complaints_world,
    credit_world,
    opendata_world,
    transparency_world,
)
from tests.security.world import MISSING_ID, World

Kwargs = Callable[[World], dict[str, Any]]


def _code(world: World) -> dict[str, Any]:
    return {"code": world.section.code}


def _organisation(world: World) -> dict[str, Any]:
    return {"pk": world.organisation.pk}


def _section_pk(world: World) -> dict[str, Any]:
    return {"pk": world.section.pk}


def _bid(world: World) -> dict[str, Any]:
    return {"pk": world.bid.pk}


def _draw(world: World) -> dict[str, Any]:
    """The world's expert draw: there is none before the deadline (draw_request refuses)."""
    return {"pk": world.extra["draw"].pk if "draw" in world.extra else MISSING_ID}


def _evaluation(world: World) -> dict[str, Any]:
    """The world's evaluation: opened once the hall closed (none before)."""
    return {"pk": world.extra["evaluation"].pk if "evaluation" in world.extra else MISSING_ID}


def _evaluated_number(world: World) -> int:
    return world.extra["evaluated_bid"].number if "evaluated_bid" in world.extra else 1


ROUTE_OBJECTS: dict[str, Kwargs] = {
    "supervision:chart": lambda w: {"name": "arrivals"},
    "supervision:ledger_export": lambda w: {"fmt": "csv"},
    "supervision:timeline": _code,
    "supervision:hall": _code,
    "accounts:organisation_edit": _organisation,
    "accounts:people": _organisation,
    "accounts:keys": _organisation,
    "api:organisation-keys": _organisation,
    "accounts:person_deactivate": lambda w: {
        "pk": w.organisation.pk,
        "person_pk": w.extra["colleague"].pk,
    },
    "accounts:key_retire": lambda w: {"pk": w.key.pk},
    "trading:section": _code,
    "trading:object": _code,
    "trading:opening_key": _code,
    "bidding:upload": _code,
    "realtime:hall": _code,
    "api:section": _code,
    "api:hall": _code,
    "api:hall-sign-in": _code,
    "api:hall-advance": _code,
    "api:hall-answer": _code,
    "api:hall-objections": _code,
    "api:hall-share": _code,
    "api:hall-record": _code,
    "api:hall-key": lambda w: {"code": w.section.code, "bid": w.bid.pk},
    "api:hall-rescue": _code,
    "api:hall-objection": lambda w: {
        "code": w.section.code,
        "pk": w.hall_objection.pk if w.hall_objection else MISSING_ID,
    },
    "api:hall-objection-answer": lambda w: {
        "code": w.section.code,
        "pk": w.hall_objection.pk if w.hall_objection else MISSING_ID,
    },
    "api:guarantee-revoke": lambda w: {"number": "BH2026000001"},
    "deposits:notice": _code,
    "deposits:sub_account": _code,
    "deposits:staff_section": _code,
    "deposits:forfeit": _code,
    "deposits:line_accept": lambda w: {"reference": w.extra["review_line"].reference},
    "deposits:line_return": lambda w: {"reference": w.extra["review_line"].reference},
    "experts:draw_request": _code,
    "experts:draw": _draw,
    "experts:draw_run": _draw,
    "experts:draw_replay": _draw,
    "experts:draw_reveal": _draw,
    "experts:evaluation_open": _draw,
    "experts:evaluation": _evaluation,
    "experts:evaluation_act": _evaluation,
    "experts:report": _evaluation,
    "experts:bid_file": lambda w: {**_evaluation(w), "number": _evaluated_number(w), "index": 0},
    "experts:query_answer": lambda w: {
        "pk": w.extra["query"].pk if "query" in w.extra else MISSING_ID
    },
    "experts:seat": lambda w: {"pk": w.extra["seat"].pk if "seat" in w.extra else MISSING_ID},
    "trading:download": lambda w: {"pk": w.document.pk},
    "trading:section_new": lambda w: {"project_pk": w.project.pk},
    "trading:manage": _section_pk,
    "trading:document_upload": _section_pk,
    "trading:publish": _section_pk,
    "trading:clarify": _section_pk,
    "trading:cancel": _section_pk,
    "trading:retender": _section_pk,
    "trading:answer": lambda w: {"pk": w.section.pk, "objection_pk": w.objection.pk},
    "bidding:receipt": _bid,
    "bidding:withdraw": _bid,
    "api:receipt": _bid,
    "api:withdraw": _bid,
    "api:upload": lambda w: {"pk": w.bid.upload_id},
    "admin:view_on_site": lambda w: {
        "content_type_id": ContentType.objects.get_for_model(Organisation).pk,
        "object_id": w.organisation.pk,
    },
    "admin:auth_user_password_change": lambda w: {"id": w.person.pk},
    "admin:app_list": lambda w: {"app_label": "accounts"},
    "/admin/(?P<url>.*)$": lambda w: {"url": "no/such/page/"},
}

# The object each admin screen shows, by "app_model".
ADMIN_OBJECTS: dict[str, Callable[[World], Any]] = {
    "auth_group": lambda w: Group.objects.get(name=CENTRE_STAFF_GROUP).pk,
    "knox_authtoken": lambda w: w.token_id,
    "axes_accessattempt": lambda w: w.axes_ids["accessattempt"],
    "axes_accesslog": lambda w: w.axes_ids["accesslog"],
    "axes_accessfailurelog": lambda w: w.axes_ids["accessfailurelog"],
    "supervision_ledgerentry": lambda w: opaque_id(LedgerEntry, w.ledger_entry.pk),
    "supervision_ledgercheckpoint": lambda w: opaque_id(LedgerCheckpoint, w.checkpoint.pk),
    "accounts_organisation": lambda w: w.organisation.pk,
    "accounts_person": lambda w: w.person.pk,
    "accounts_organisationkey": lambda w: w.key.pk,
    # Deposits are addressed by natural keys (deposits/admin.py).
    "deposits_basicaccount": lambda w: w.extra["basic_account"].pk,
    "deposits_subaccount": lambda w: w.extra["sub_account"].number,
    "deposits_bankline": lambda w: w.extra["review_line"].reference,
    "deposits_bookaccount": lambda w: w.extra["deposit_account"].key,
    "deposits_booktransaction": lambda w: w.extra["paid_line"].booking.key,
    "deposits_refund": lambda w: w.extra["refund"].pk,
    "deposits_forfeiture": lambda w: (
        w.extra["forfeiture"].pk if "forfeiture" in w.extra else MISSING_ID
    ),
    "deposits_alert": lambda w: w.extra["alert"].key,
    "deposits_issuer": lambda w: w.extra["issuer"].pk,
    "deposits_guarantee": lambda w: w.extra["guarantee"].number,
    "deposits_guaranteeclaim": lambda w: MISSING_ID,  # no claim in this world
    "deposits_interestrate": lambda w: w.extra["rate"].pk,
    "deposits_calendarday": lambda w: w.extra["day"].pk,
}


def admin_model(key_or_pattern: str) -> str | None:
    """The "app_model" an admin route belongs to, if it is a model's screen."""
    for model in ADMIN_OBJECTS:
        if (
            key_or_pattern.startswith(f"admin:{model}_")
            or f"/admin/{model.replace('_', '/', 1)}/" in key_or_pattern
        ):
            return model
    return None


for _part in (
    alerts_world,
    complaints_world,
    credit_world,
    award_world,
    opendata_world,
    archive_world,
    transparency_world,
    ceremony_world,
):
    ROUTE_OBJECTS.update(_part.OBJECTS)


def kwargs_for(key: str, pattern: str, world: World) -> dict[str, Any]:
    if key in ROUTE_OBJECTS:
        return ROUTE_OBJECTS[key](world)
    model = admin_model(key)
    if model is not None and "object_id" in pattern:
        return {"object_id": ADMIN_OBJECTS[model](world)}
    return {}
