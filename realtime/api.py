"""Hall actions over HTTP (the websocket only streams): sign in, move on (host), submit a
content key, answer the reading, object, answer objections, start a rescue (host) and give a
key share inside it; the record."""

from __future__ import annotations

import binascii
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Person
from ggzy import clock
from ggzy.errors import DomainError
from ggzy.http import client_address
from ggzy_core.canonical import canonical
from realtime import access, attendance, decryption, hall, reading, rescue, rules, snapshot, stages
from realtime.models import BidOpening, Decision, HallObjection, HallStage, OpeningStatus


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


# --- what the views answer (the schema only: the views build their answers themselves) ---

EPOCH_MS = "milliseconds since the epoch, server time"
# A string, not an enum component: three other serializers call a different choice set
# "status", which drf-spectacular cannot name apart without ENUM_NAME_OVERRIDES.
OPENING_STATUS = "one of " + ", ".join(OpeningStatus.values)


class HallSectionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    project = serializers.CharField(help_text="the project's name")
    opening_time = serializers.IntegerField(help_text=f"the bid deadline, {EPOCH_MS}")
    price_ceiling = serializers.CharField(allow_null=True, help_text="a decimal, as a string")


class HallBidderSerializer(serializers.Serializer):
    """A row of the public bidder table (``hall.statuses``)."""

    bid = serializers.UUIDField()
    sequence = serializers.IntegerField(help_text="the bid's opening number")
    bidder = serializers.CharField(help_text="the organisation's name")
    signed_in = serializers.BooleanField()
    status = serializers.CharField(help_text=OPENING_STATUS)
    queue = serializers.IntegerField(
        allow_null=True, help_text="place in the decryption queue (1 first); null: not queued"
    )
    deposit = inline_serializer(
        "HallBidderDeposit",
        {
            "state": serializers.CharField(help_text="deposits.positions.State"),
            "covered": serializers.BooleanField(help_text="the deposit requirement is met"),
        },
        required=False,
        help_text="only for the host, the regulator and the tenderee (every row) and for a "
        "bidder (its own row)",
    )
    credit = inline_serializer(
        "HallBidderCreditRecord",
        {
            "id": serializers.IntegerField(),
            "kind": serializers.CharField(help_text="accounts.models.CreditKind"),
            "bars": serializers.CharField(help_text="accounts.models.CreditBar"),
            "url": serializers.CharField(help_text="the record's page"),
        },
        many=True,
        required=False,
        help_text="the bidder's credit records in force, only for the host and the regulator",
    )


class ReadingRowSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    bidder = serializers.CharField()
    credit_code = serializers.CharField()
    status = serializers.CharField(help_text=OPENING_STATUS)
    values = serializers.DictField(
        allow_null=True, help_text="read item → value; null: the bid was not decrypted"
    )


class ReadingSerializer(serializers.Serializer):
    """The reading table (``reading.compute``), which bidders sign by its SM3."""

    section = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())
    price_ceiling = serializers.CharField(allow_null=True)
    rows = ReadingRowSerializer(many=True)


class ReadingAnswerSummarySerializer(serializers.Serializer):
    bidder = serializers.CharField()
    decision = serializers.ChoiceField(choices=Decision.choices)


class ObjectionSummarySerializer(serializers.Serializer):
    """An objection as the stream carries it (``reading.objection_summary``): excerpts."""

    id = serializers.IntegerField()
    bidder = serializers.CharField()
    text = serializers.CharField(allow_blank=True, help_text="an excerpt")
    length = serializers.IntegerField(help_text="of the full text")
    truncated = serializers.BooleanField()
    answer = serializers.CharField(allow_blank=True, help_text="an excerpt")
    answer_truncated = serializers.BooleanField()
    answered = serializers.BooleanField()


class HallViewerSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="host, regulator, tenderee, bidder or public")
    bid = serializers.UUIDField(required=False, help_text="a bidder's bid in this hall")


class HallSnapshotSerializer(serializers.Serializer):
    """The hall at one sequence number (``snapshot.snapshot``), as the websocket sends it."""

    type = serializers.CharField(help_text="snapshot")
    sequence = serializers.IntegerField(help_text="number of the last event")
    server_time = serializers.IntegerField(help_text=EPOCH_MS)
    stage = serializers.ChoiceField(choices=HallStage.choices)
    guide = inline_serializer(
        "HallGuide",
        {"zh": serializers.CharField(), "en": serializers.CharField()},
        help_text="where the hall stands, what one can do and when (Chinese, English)",
    )
    stage_deadline = serializers.IntegerField(
        allow_null=True, help_text=f"when the stage's window closes, {EPOCH_MS}"
    )
    rescue_started = serializers.IntegerField(allow_null=True, help_text=EPOCH_MS)
    section = HallSectionSerializer()
    bidders = HallBidderSerializer(many=True)
    reading = ReadingSerializer(allow_null=True, help_text="null before the reading")
    reading_sm3 = serializers.CharField(allow_blank=True)
    answers = ReadingAnswerSummarySerializer(many=True)
    objections = ObjectionSummarySerializer(
        many=True, help_text=f"unanswered first, at most {rules.SNAPSHOT_OBJECTIONS_MAX}"
    )
    objections_total = serializers.IntegerField()
    record_sm3 = serializers.CharField(allow_blank=True)
    record_state = serializers.CharField(
        allow_blank=True, help_text="empty before the close, then pending, then signed"
    )
    you = HallViewerSerializer()


class ObjectionPageSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    offset = serializers.IntegerField()
    objections = ObjectionSummarySerializer(many=True)


class ObjectionFullSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    bidder = serializers.CharField()
    raised_at = serializers.IntegerField(help_text=EPOCH_MS)
    text = serializers.CharField(allow_blank=True)
    answer = serializers.CharField(allow_blank=True)
    answered_at = serializers.IntegerField(allow_null=True, help_text=EPOCH_MS)


class ShareOutcomeSerializer(serializers.Serializer):
    """Where the rescue stands after a holder gave its share (``decryption.ShareOutcome``)."""

    rescued = serializers.IntegerField(help_text="bids the rebuilt key unwrapped")
    rebuilt = serializers.BooleanField()
    given = serializers.IntegerField(help_text="shares given in this rescue")
    need = serializers.IntegerField(help_text="the section's threshold")
    regulator_given = serializers.BooleanField()
    detail = serializers.CharField(help_text="what happens next, in Chinese and English")


class RecordSignatureSerializer(serializers.Serializer):
    """The platform's signature of the record (``record.sign_record``)."""

    record_sm3 = serializers.CharField(help_text="SM3 of the record's canonical JSON (hex)")
    signature = serializers.CharField(help_text="SM2, hex DER, over the record's JSON")
    key_fingerprint = serializers.CharField()


class OpeningRecordSerializer(serializers.Serializer):
    """The opening record's canonical JSON (``record.record_data``): the signed bytes."""

    format = serializers.CharField(help_text="ggzy-opening-record/…")
    section = serializers.DictField()
    opening_time = serializers.CharField(help_text="ISO 8601 with its offset")
    time_zone = serializers.CharField()
    trading_centre = serializers.CharField()
    host = serializers.CharField()
    price_ceiling = serializers.CharField(allow_null=True)
    bids = serializers.ListField(child=serializers.DictField())
    objections = serializers.ListField(child=serializers.DictField())
    events = serializers.ListField(child=serializers.DictField())
    generated_at = serializers.CharField(help_text="ISO 8601 with its offset")


class Snapshot(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=HallSnapshotSerializer,
        description="The hall as the websocket's snapshot shows it.",
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(snapshot.snapshot(access.hall_for(request.user, code), request.user))


class SignIn(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "HallSignedIn",
            {
                "signed_in": serializers.BooleanField(),
                "signed_in_at": serializers.IntegerField(help_text=EPOCH_MS),
                "detail": serializers.CharField(help_text="what it means, 中文 / English"),
                "rule": serializers.CharField(help_text="what signing in means, 中文 / English"),
            },
        ),
        description="A bidder in the hall signs in: attendance, recorded with its time in the "
        "opening record; not a condition of decryption (docs/decisions.md, Sign-in). From the "
        "opening until the hall closes; signing in again keeps the first time.",
    )
    def post(self, request: Request, code: str) -> Response:
        signed = hall.sign_in(hall=access.hall_for(request.user, code), person=_person(request))
        return Response(
            {
                "signed_in": True,
                "signed_in_at": clock.epoch_ms(signed.signed_in_at),
                "detail": attendance.signed_in_message(signed.signed_in_at),
                "rule": attendance.SIGN_IN_RULE,
            }
        )


class Advance(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "HallAdvanced", {"stage": serializers.ChoiceField(choices=HallStage.choices)}
        ),
        description="The host moves the hall to its next stage.",
    )
    def post(self, request: Request, code: str) -> Response:
        moved = stages.enter_next(hall=access.hall_for(request.user, code), person=_person(request))
        return Response({"stage": moved.stage})


_ACCEPTED = "解密密钥已接受，投标正在解密 / Content key accepted: the bid is being decrypted"


class ContentKey(APIView):
    @extend_schema(
        request=inline_serializer("ContentKey", {"content_key": serializers.CharField()}),
        responses=inline_serializer(
            "ContentKeyAccepted",
            {
                "status": serializers.CharField(help_text=OPENING_STATUS),
                "detail": serializers.CharField(help_text="what happened, in Chinese and English"),
            },
        ),
        description="The bidder's content key (hex), unwrapped on its own machine, inside the "
        "window. Sending it again for a bid already accepted is answered 200 with the bid's "
        "status and a detail saying so.",
    )
    def post(self, request: Request, code: str, bid: uuid.UUID) -> Response:
        current = access.hall_for(request.user, code)
        try:
            opening = BidOpening.objects.get(hall=current, bid_id=bid)
        except BidOpening.DoesNotExist as exc:
            raise Http404 from exc
        repeated = opening.status in decryption.ALREADY_OPENED
        opening = decryption.submit_key(
            opening=opening,
            person=_person(request),
            content_key=_hex(_field(request, "content_key"), "content_key"),
            address=client_address(request.META),
        )
        if repeated and opening.status in decryption.ALREADY_OPENED:
            return Response(
                {"status": opening.status, "detail": decryption.already_opened_message(opening)}
            )
        return Response({"status": opening.status, "detail": _ACCEPTED})


class Answer(APIView):
    @extend_schema(
        request=inline_serializer(
            "ReadingAnswer",
            {"decision": serializers.CharField(), "signature": serializers.CharField()},
        ),
        responses=inline_serializer(
            "ReadingAnswered", {"decision": serializers.ChoiceField(choices=Decision.choices)}
        ),
        description="Confirm or object to the reading: an SM2 signature (hex DER) over "
        "'ggzy-reading\\n' + reading_sm3, with the organisation's bound key.",
    )
    def post(self, request: Request, code: str) -> Response:
        confirmation = reading.answer(
            hall=access.hall_for(request.user, code),
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
        responses=ObjectionPageSerializer,
        description="The hall's objections as the snapshot lists them (excerpts, unanswered "
        f"first), {rules.SNAPSHOT_OBJECTIONS_MAX} at a time.",
    )
    def get(self, request: Request, code: str) -> Response:
        current = access.hall_for(request.user, code)
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
        ),
        responses={
            201: inline_serializer("HallObjectionRaised", {"id": serializers.IntegerField()})
        },
        description="A bidder in the hall raises an objection.",
    )
    def post(self, request: Request, code: str) -> Response:
        objection = reading.raise_objection(
            hall=access.hall_for(request.user, code),
            person=_person(request),
            text=_field(request, "text"),
        )
        return Response({"id": objection.pk}, status=201)


class ObjectionDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        # The objections' list would get the same generated id (…_retrieve).
        operation_id="halls_objection_retrieve",
        responses=ObjectionFullSerializer,
        description="One objection in full: the stream carries objections by reference "
        f"beyond {rules.EXCERPT_CHARS} characters. As visible as the hall.",
    )
    def get(self, request: Request, code: str, pk: int) -> Response:
        current = access.hall_for(request.user, code)
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
        ),
        responses=inline_serializer("ObjectionAnswered", {"answered": serializers.BooleanField()}),
        description="The host or the tenderee answers an objection.",
    )
    def post(self, request: Request, code: str, pk: int) -> Response:
        current = access.hall_for(request.user, code)
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
        responses=inline_serializer(
            "RescueStarted",
            {"rescue_started": serializers.IntegerField(allow_null=True, help_text=EPOCH_MS)},
        ),
        description="The host starts the rescue of the bids the platform failed to decrypt "
        "(after the deadline, in the decryption stage): only then are the opening key's "
        "shares released to their holders.",
    )
    def post(self, request: Request, code: str) -> Response:
        current = rescue.start_rescue(
            hall=access.hall_for(request.user, code),
            person=_person(request),
            address=client_address(request.META),
        )
        started = current.rescue_started_at
        return Response({"rescue_started": clock.epoch_ms(started) if started else None})


class Share(APIView):
    @extend_schema(
        responses=inline_serializer(
            "SealedShare",
            {
                "index": serializers.IntegerField(),
                "mode": serializers.CharField(help_text="dkg | dealt"),
                "sealed_share": serializers.CharField(help_text="hex (empty for dkg)"),
                "dealings": serializers.ListField(
                    child=serializers.DictField(),
                    required=False,
                    help_text="dkg: {dealer, sealed_share (hex), commitments [hex]} of every "
                    "qualified dealer; open each, check it and add them up",
                ),
            },
        ),
        description="Only inside a rescue the host started (after the deadline, a bid the "
        "platform failed to decrypt; the regulator's share first). GET: your organisation's "
        "sealed share (hex) — for a section whose key its holders generated (mode dkg), "
        "the sub-shares sealed to you by the qualified dealers, to combine. POST: the opened "
        "(combined) share (hex); for dkg refused at once unless it fits the dealers' "
        "commitments. The key is rebuilt once the "
        "regulator's share and another are in. 404 for anyone who holds no share; 409 "
        "outside the rescue, saying when it becomes possible. Every release, use and refusal "
        "to a holder is ledgered (never the share).",
    )
    def get(self, request: Request, code: str) -> Response:
        held = rescue.release_share(
            hall=access.hall_for(request.user, code),
            person=_person(request),
            address=client_address(request.META),
        )
        return Response(rescue.release_answer(held))

    @extend_schema(
        request=inline_serializer("OpenedShare", {"share": serializers.CharField()}),
        responses=ShareOutcomeSerializer,
    )
    def post(self, request: Request, code: str) -> Response:
        outcome = decryption.submit_share(
            hall=access.hall_for(request.user, code),
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


# One status, two media types: OpenAPI gives a status one description.
RECORD_FORMATS = (
    "format=pdf: the record as an A4 PDF; format=json: its canonical JSON (the signed "
    "bytes); format=signature: the platform's signature of that JSON (docs/record.md). "
    "Content-Disposition names the file 开标记录-<section code>.pdf / .json / .sig.json "
    "(RFC 6266 filename*, with an ASCII fallback opening-record-<section code>…)"
)
# What each format is served as: media type, file suffix, and whether a browser shows it.
_RECORD_FILES = {
    "pdf": ("application/pdf", ".pdf", True),
    "json": ("application/json", ".json", False),
    "signature": ("application/json", ".sig.json", False),
}


def record_filename(section_code: str, suffix: str) -> tuple[str, str]:
    """The record's file name, in Chinese and as an ASCII fallback for old clients."""
    ascii_code = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in section_code
    )
    return f"开标记录-{section_code}{suffix}", f"opening-record-{ascii_code}{suffix}"


def content_disposition(filename: str, fallback: str, *, inline: bool) -> str:
    """RFC 6266: ``filename`` for every client (ASCII), ``filename*`` (RFC 8187, UTF-8) for
    those that read it — all current browsers — which then takes precedence."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Record(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["pdf", "json", "signature"],
                default="pdf",
                description="pdf (any other value too), json or signature",
            )
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description=RECORD_FORMATS
            ),
            (200, "application/json"): OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="OpeningRecordDocument",
                    serializers=[OpeningRecordSerializer, RecordSignatureSerializer],
                    resource_type_field_name=None,
                ),
                description=RECORD_FORMATS,
            ),
        },
        description="The signed opening record: ?format=pdf, json or signature.",
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        current = access.hall_for(request.user, code)
        if not current.record_json:
            if snapshot.record_state(current) == "pending":
                raise DomainError(
                    "大厅已结束，开标记录正在生成和签名，请稍后再试 / The hall has closed and the "
                    "opening record is being generated and signed: try again in a moment",
                    code="conflict",
                )
            raise Http404
        kind = request.query_params.get("format", "pdf")
        if kind not in _RECORD_FILES:
            kind = "pdf"
        media_type, suffix, inline = _RECORD_FILES[kind]
        if kind == "json":
            body = bytes(current.record_json)
        elif kind == "signature":
            body = canonical(current.record_signature)
        else:
            with current.record_pdf.open("rb") as handle:
                body = handle.read()
        response = HttpResponse(body, content_type=media_type)
        filename, fallback = record_filename(current.section.code, suffix)
        response["Content-Disposition"] = content_disposition(filename, fallback, inline=inline)
        return response
