"""Hall actions over HTTP (the websocket only streams): sign in, move on (host), submit a
content key, answer the reading, object, answer objections, start a rescue (host) and give a
key share inside it; the record."""

from __future__ import annotations

import binascii
import uuid
from collections.abc import Sequence
from typing import Any

from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Person
from ggzy import clock
from ggzy.errors import DomainError
from realtime import decryption, hall, reading, rescue, rules, snapshot
from realtime.models import BidOpening, HallObjection
from supervision.middleware import client_address


def _person(request: Request) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


def _field(request: Request, name: str) -> str:
    data = request.data if isinstance(request.data, dict) else {}
    return str(data.get(name, ""))


def _hex(value: Any, field: str) -> bytes:
    try:
        return bytes.fromhex(str(value))
    except (ValueError, binascii.Error) as exc:
        raise DomainError(
            f"{field} 应为十六进制 / {field} must be hex", code="invalid", field=field
        ) from exc


class Snapshot(APIView):
    permission_classes = [AllowAny]

    @extend_schema(description="The hall as the websocket's snapshot shows it.")
    def get(self, request: Request, code: str) -> Response:
        return Response(snapshot.snapshot(snapshot.hall_for(request.user, code), request.user))


class SignIn(APIView):
    @extend_schema(request=None)
    def post(self, request: Request, code: str) -> Response:
        hall.sign_in(hall=snapshot.hall_for(request.user, code), person=_person(request))
        return Response({"signed_in": True})


class Advance(APIView):
    @extend_schema(request=None, description="The host moves the hall to its next stage.")
    def post(self, request: Request, code: str) -> Response:
        moved = hall.advance(hall=snapshot.hall_for(request.user, code), person=_person(request))
        return Response({"stage": moved.stage})


class ContentKey(APIView):
    @extend_schema(
        request=inline_serializer("ContentKey", {"content_key": serializers.CharField()}),
        description="The bidder's content key (hex), unwrapped on its own machine, inside the window.",
    )
    def post(self, request: Request, code: str, bid: uuid.UUID) -> Response:
        current = snapshot.hall_for(request.user, code)
        try:
            opening = BidOpening.objects.get(hall=current, bid_id=bid)
        except BidOpening.DoesNotExist as exc:
            raise Http404 from exc
        opening = decryption.submit_key(
            opening=opening,
            person=_person(request),
            content_key=_hex(_field(request, "content_key"), "content_key"),
            address=client_address(request.META),
        )
        return Response({"status": opening.status})


class Answer(APIView):
    @extend_schema(
        request=inline_serializer(
            "ReadingAnswer",
            {"decision": serializers.CharField(), "signature": serializers.CharField()},
        ),
        description="Confirm or object to the reading: an SM2 signature (hex DER) over "
        "'ggzy-reading\\n' + reading_sm3, with the organisation's bound key.",
    )
    def post(self, request: Request, code: str) -> Response:
        confirmation = reading.answer(
            hall=snapshot.hall_for(request.user, code),
            person=_person(request),
            decision=_field(request, "decision"),
            signature=_hex(_field(request, "signature"), "signature"),
        )
        return Response({"decision": confirmation.decision})


class Objections(APIView):
    def get_permissions(self) -> Sequence[Any]:
        # Reading is as public as the hall [E29]; raising one needs a bidder.
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(
        parameters=[OpenApiParameter("offset", int, description="skip this many")],
        description="The hall's objections as the snapshot lists them (excerpts, unanswered "
        f"first), {rules.SNAPSHOT_OBJECTIONS_MAX} at a time.",
    )
    def get(self, request: Request, code: str) -> Response:
        current = snapshot.hall_for(request.user, code)
        try:
            offset = max(0, int(request.query_params.get("offset", "0")))
        except ValueError as exc:
            raise DomainError(
                "offset 应为整数 / offset must be an integer", code="invalid", field="offset"
            ) from exc
        return Response(
            {
                "total": current.objections.count(),
                "offset": offset,
                "objections": snapshot.objections(
                    current, limit=rules.SNAPSHOT_OBJECTIONS_MAX, offset=offset
                ),
            }
        )

    @extend_schema(
        request=inline_serializer(
            "HallObjection",
            {"text": serializers.CharField(max_length=rules.OBJECTION_TEXT_MAX_CHARS)},
        )
    )
    def post(self, request: Request, code: str) -> Response:
        objection = reading.raise_objection(
            hall=snapshot.hall_for(request.user, code),
            person=_person(request),
            text=_field(request, "text"),
        )
        return Response({"id": objection.pk}, status=201)


class ObjectionDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        description="One objection in full: the stream carries objections by reference "
        f"beyond {rules.EXCERPT_CHARS} characters. As visible as the hall."
    )
    def get(self, request: Request, code: str, pk: int) -> Response:
        current = snapshot.hall_for(request.user, code)
        try:
            objection = HallObjection.objects.select_related("organisation").get(
                hall=current, pk=pk
            )
        except HallObjection.DoesNotExist as exc:
            raise Http404 from exc
        return Response(
            {
                "id": objection.pk,
                "bidder": objection.organisation.name,
                "raised_at": clock.epoch_ms(objection.raised_at),
                "text": objection.text,
                "answer": objection.answer,
                "answered_at": clock.epoch_ms(objection.answered_at)
                if objection.answered_at
                else None,
            }
        )


class ObjectionAnswer(APIView):
    @extend_schema(
        request=inline_serializer(
            "ObjectionAnswer",
            {"text": serializers.CharField(max_length=rules.OBJECTION_ANSWER_MAX_CHARS)},
        )
    )
    def post(self, request: Request, code: str, pk: int) -> Response:
        current = snapshot.hall_for(request.user, code)
        try:
            objection = HallObjection.objects.get(hall=current, pk=pk)
        except HallObjection.DoesNotExist as exc:
            raise Http404 from exc
        reading.answer_objection(
            objection=objection, person=_person(request), text=_field(request, "text")
        )
        return Response({"answered": True})


class Rescue(APIView):
    @extend_schema(
        request=None,
        description="The host starts the rescue of the bids the platform failed to decrypt "
        "(after the deadline, in the decryption stage): only then are the opening key's "
        "shares released to their holders.",
    )
    def post(self, request: Request, code: str) -> Response:
        current = rescue.start_rescue(
            hall=snapshot.hall_for(request.user, code),
            person=_person(request),
            address=client_address(request.META),
        )
        started = current.rescue_started_at
        return Response({"rescue_started": clock.epoch_ms(started) if started else None})


class Share(APIView):
    @extend_schema(
        description="Only inside a rescue the host started (after the deadline, a bid the "
        "platform failed to decrypt; the regulator's share first). GET: your organisation's "
        "sealed share (hex). POST: the opened share (hex); the key is rebuilt once the "
        "regulator's share and another are in. 404 for anyone who holds no share; 409 "
        "outside the rescue, saying when it becomes possible. Every release, use and refusal "
        "to a holder is ledgered (never the share)."
    )
    def get(self, request: Request, code: str) -> Response:
        held = rescue.release_share(
            hall=snapshot.hall_for(request.user, code),
            person=_person(request),
            address=client_address(request.META),
        )
        return Response({"index": held.index, "sealed_share": bytes(held.sealed_share).hex()})

    @extend_schema(request=inline_serializer("OpenedShare", {"share": serializers.CharField()}))
    def post(self, request: Request, code: str) -> Response:
        outcome = decryption.submit_share(
            hall=snapshot.hall_for(request.user, code),
            person=_person(request),
            share=_hex(_field(request, "share"), "share"),
            address=client_address(request.META),
        )
        return Response(
            {
                "rescued": outcome.rescued,
                "rebuilt": outcome.rebuilt,
                "given": outcome.given,
                "need": outcome.need,
                "regulator_given": outcome.regulator_given,
                "detail": outcome.message,
            }
        )


class Record(APIView):
    permission_classes = [AllowAny]

    @extend_schema(description="The signed opening record: ?format=pdf, json or signature.")
    def get(self, request: Request, code: str) -> HttpResponse:
        current = snapshot.hall_for(request.user, code)
        if not current.record_json:
            if snapshot.record_state(current) == "pending":
                raise DomainError(
                    "大厅已结束，开标记录正在生成和签名，请稍后再试 / The hall has closed and the "
                    "opening record is being generated and signed: try again in a moment",
                    code="conflict",
                )
            raise Http404
        kind = request.query_params.get("format", "pdf")
        if kind == "json":
            return HttpResponse(bytes(current.record_json), content_type="application/json")
        if kind == "signature":
            return Response(current.record_signature)
        with current.record_pdf.open("rb") as handle:
            return HttpResponse(handle.read(), content_type="application/pdf")
