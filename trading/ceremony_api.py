"""The opening key ceremony over HTTP (``ggzy-bid opening-key ceremony`` drives it): read
where it stands, post a dealing, post a verification, start (or restart) it. Every answer
is the ceremony JSON (docs/envelope.md, "The ceremony on the platform"); the services in
trading/ceremony.py decide everything."""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Person
from ggzy import beijing_time, clock
from ggzy.errors import DomainError
from ggzy.http import client_address
from trading import ceremony
from trading.models import (
    CeremonyHolder,
    CeremonyStatus,
    KeyCeremony,
    KeyDealing,
    KeyVerification,
    Section,
)


def _person(request: Request) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


def _signed(request: Request) -> tuple[Mapping[str, Any], bytes]:
    data = request.data if isinstance(request.data, dict) else {}
    document = data.get("document")
    if not isinstance(document, dict):
        raise DomainError(
            "请求应包含 JSON 对象 document / The request needs a JSON object `document`",
            code="invalid",
            field="document",
        )
    try:
        signature = bytes.fromhex(str(data.get("signature", "")))
    except (ValueError, binascii.Error) as exc:
        raise DomainError(
            "signature 应为十六进制 / signature must be hex", code="invalid", field="signature"
        ) from exc
    if not signature:
        raise DomainError(
            "请求应包含签名 signature / The request needs a `signature`",
            code="invalid",
            field="signature",
        )
    return document, signature


def _holder_json(holder: CeremonyHolder) -> dict[str, Any]:
    return {
        "index": holder.index,
        "organisation": holder.organisation.name,
        "credit_code": holder.organisation.credit_code,
        "public_key_pem": holder.public_key_pem,
        "key_fingerprint": holder.key_fingerprint,
        "dealt": KeyDealing.objects.filter(holder=holder).exists(),
        "verified": KeyVerification.objects.filter(holder=holder).exists(),
        "excluded": holder.excluded or None,
    }


def ceremony_json(section: Section, found: KeyCeremony | None, user: Any) -> dict[str, Any]:
    organisation_id = getattr(user, "organisation_id", None)
    holders = list(found.holders.select_related("organisation").order_by("index")) if found else []
    you = next((h.index for h in holders if h.organisation_id == organisation_id), None)
    deadline = ceremony.closes_at(found) if found else None
    dealings = (
        KeyDealing.objects.filter(holder__ceremony=found)
        .select_related("holder")
        .order_by("holder__index")
        if found
        else []
    )
    complete = found is not None and found.status == CeremonyStatus.COMPLETE
    return {
        "ceremony": str(found.pk) if found else None,
        "section": section.code,
        "status": found.status if found else None,
        "threshold": found.threshold if found else section.opening_key_threshold,
        "deadline": deadline.isoformat() if deadline else None,
        "deadline_ms": clock.epoch_ms(deadline) if deadline else None,
        "deadline_local": beijing_time.both(deadline)[1] if deadline else None,
        "you": you,
        "holders": [_holder_json(holder) for holder in holders],
        "dealings": [
            {
                "dealer": dealing.holder.index,
                "document": dealing.document,
                "signature": bytes(dealing.signature).hex(),
            }
            for dealing in dealings
        ],
        "opening_key_pem": section.opening_key_pem if complete else None,
        "detail": ceremony.status_line(section, found),
    }


CEREMONY = inline_serializer(
    "OpeningKeyCeremony",
    {
        "ceremony": serializers.UUIDField(allow_null=True),
        "section": serializers.CharField(),
        "status": serializers.CharField(
            allow_null=True, help_text="collecting | complete | failed (null: not started)"
        ),
        "threshold": serializers.IntegerField(),
        "deadline": serializers.CharField(
            allow_null=True, help_text="ISO 8601: dealings until it (then the verification grace)"
        ),
        "deadline_ms": serializers.IntegerField(allow_null=True),
        "deadline_local": serializers.CharField(allow_null=True),
        "you": serializers.IntegerField(allow_null=True, help_text="your holder index"),
        "holders": serializers.ListField(child=serializers.DictField()),
        "dealings": serializers.ListField(
            child=serializers.DictField(), help_text="{dealer, document, signature (hex)}"
        ),
        "opening_key_pem": serializers.CharField(allow_null=True),
        "detail": serializers.CharField(help_text="where it stands, 中文 / English"),
    },
)
SIGNED = inline_serializer(
    "SignedCeremonyDocument",
    {
        "document": serializers.DictField(),
        "signature": serializers.CharField(
            help_text="SM2 (DER, hex) by your organisation's bound key"
        ),
    },
)


def _answer(request: Request, section: Section) -> Response:
    section.refresh_from_db()
    return Response(ceremony_json(section, ceremony.latest(section), request.user))


class Ceremony(APIView):
    @extend_schema(
        responses=CEREMONY,
        description="The section's opening key ceremony: its holders (centre 1, regulator 2, "
        "tenderee 3) with their pinned keys, who dealt, verified or was excluded, every "
        "dealing (commitments and sealed sub-shares, signed), and the opening public key once "
        "complete. The holders' organisations and the section's tenderee/agency only; 404 "
        "for everyone else.",
    )
    def get(self, request: Request, code: str) -> Response:
        return _answer(request, ceremony.section_for(request.user, code))


class Dealing(APIView):
    @extend_schema(
        request=SIGNED,
        responses=CEREMONY,
        description="A holder's dealing (ggzy-dkg-dealing/1), signed with its bound SM2 key "
        "over dkg.dealing_message(document). Once per holder, before the deadline (409); "
        "400 when malformed or the signature does not verify. Ledgered by its SM3.",
    )
    def post(self, request: Request, code: str) -> Response:
        section = ceremony.section_for(request.user, code)
        document, signature = _signed(request)
        ceremony.deal(
            section=section,
            person=_person(request),
            document=document,
            signature=signature,
            address=client_address(request.META),
        )
        return _answer(request, section)


class Verification(APIView):
    @extend_schema(
        request=SIGNED,
        responses=CEREMONY,
        description="A holder's verdict on the dealings it received (ggzy-dkg-verification/1), "
        "signed like a dealing. Only once every holder has dealt or the deadline has passed "
        "(409, naming who is missing). Complaints are ruled on at once: a revealed share that "
        "fails the dealer's commitments, or an undecryptable one, excludes the dealer; a "
        "revealed share that fits is recorded as unfounded.",
    )
    def post(self, request: Request, code: str) -> Response:
        section = ceremony.section_for(request.user, code)
        document, signature = _signed(request)
        ceremony.verify(
            section=section,
            person=_person(request),
            document=document,
            signature=signature,
            address=client_address(request.META),
        )
        return _answer(request, section)


class Start(APIView):
    @extend_schema(
        request=None,
        responses=CEREMONY,
        description="The tenderee or agency starts the ceremony of a draft section whose "
        "opening key its holders generate (or starts it again after a failed one). 409 when "
        "a holder has no bound SM2 key (named), or a ceremony is under way or complete.",
    )
    def post(self, request: Request, code: str) -> Response:
        section = ceremony.section_for(request.user, code)
        ceremony.start(
            section=section, actor=_person(request), address=client_address(request.META)
        )
        return _answer(request, section)
