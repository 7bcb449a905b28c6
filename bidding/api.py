"""The sealed-bid API: a tus 1.0 resumable upload (core + creation + termination), receipts,
withdrawal. See docs/upload-protocol.md."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Person
from bidding import access, services
from bidding.models import GONE, Bid, UploadState
from bidding.rules import MAX_BID_BYTES, MAX_PART_BYTES, REASONS, Gone
from ggzy import clock, signing
from ggzy.errors import DomainError
from ggzy.http import client_address
from trading import access as trading_access

TUS_VERSION = "1.0.0"
TUS_HEADERS = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}
# HTTP status of the refusals on an upload's address (docs/upload-protocol.md); a ``Gone``
# refusal (terminated, expired, refused: no parts left) is 410.
STATUS_OF = {
    "offset_mismatch": 409,
    "late": 403,
    "not_accepting": 403,
    "not_bidder": 403,
    "terminate_late": 403,
    "complete": 409,
    "open_quota": 409,
    "empty_part": 400,
    "storage_full": 507,
}
# After a 507 the client may retry this much later; what it sent is kept.
STORAGE_RETRY_AFTER = "300"


def _refusal(exc: DomainError, default: int) -> int:
    return 410 if isinstance(exc, Gone) else STATUS_OF.get(exc.code, default)


def _reason_header(reason: str) -> str:
    """A bilingual reason in a header (a HEAD answer has no body): UTF-8, percent-encoded."""
    return quote(reason, safe=" /:,;()[]")


class OffsetOctetStream(BaseParser):
    """PATCH bodies are raw bytes; the view streams them itself."""

    media_type = "application/offset+octet-stream"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return stream


def _tus(response: HttpResponse | Response, **headers: str) -> HttpResponse | Response:
    for name, value in {**TUS_HEADERS, **headers}.items():
        response[name] = value
    return response


def _metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata: key base64,key base64``."""
    values: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in header.split(","))):
        key, _, encoded = item.partition(" ")
        try:
            values[key] = (
                base64.b64decode(encoded, validate=True).decode("utf-8") if encoded else ""
            )
        except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII, bad UTF-8
            raise DomainError(
                f"Upload-Metadata 无法解析 / cannot decode {key}", code="invalid"
            ) from exc
    return values


_MAX_INTEGER_DIGITS = 19  # any tus length or offset fits a signed 64-bit column


def header_integer(value: str | None, name: str) -> int:
    """Upload-Length / Upload-Offset: tus allows a non-negative decimal integer and nothing
    else (``int()`` would also take ``+5``, `` 5 ``, ``5_0`` and non-ASCII digits)."""
    if (
        value is None
        or not (value.isascii() and value.isdigit())
        or len(value) > _MAX_INTEGER_DIGITS
    ):
        raise DomainError(
            f"缺少 {name} 或不是非负整数 / {name} is required, as a non-negative integer",
            code="invalid",
            field=name,
        )
    return int(value)


def _person(request: Request) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


class UploadCollection(APIView):
    @extend_schema(exclude=True)
    def options(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return _tus(
            HttpResponse(status=204),
            **{
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": "creation,termination",
                "Tus-Max-Size": str(MAX_BID_BYTES),
                "Ggzy-Max-Chunk": str(MAX_PART_BYTES),
            },
        )

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter("Upload-Length", int, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(
                "Upload-Metadata",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="section (code), idempotency_key, replaces (the UUID of your live bid "
                "in the section, optional); base64",
            ),
        ],
        responses={
            201: None,
            200: OpenApiResponse(description="this idempotency key already started an upload"),
            400: OpenApiResponse(description="refused: code and bilingual detail"),
            409: OpenApiResponse(
                description="open_quota: the organisation's open uploads would exceed "
                "BIDDING_OPEN_BYTES_PER_ORGANISATION; finish or DELETE one"
            ),
        },
        description="Start (or, with the same idempotency key, find) a resumable bid upload.",
    )
    def post(self, request: Request) -> Any:
        length = header_integer(request.headers.get("Upload-Length"), "Upload-Length")
        meta = _metadata(request.headers.get("Upload-Metadata", ""))
        key = meta.get("idempotency_key", "")
        if not 8 <= len(key) <= 64:
            raise DomainError(
                "idempotency_key 须为8到64个字符 / idempotency_key must be 8 to 64 characters",
                code="invalid",
            )
        section = trading_access.section_for(request.user, {"code": meta.get("section", "")})
        replaces = access.bid_for(request.user, meta["replaces"]) if meta.get("replaces") else None
        try:
            upload, created = services.upload_create(
                section=section,
                person=_person(request),
                length=length,
                idempotency_key=key,
                replaces=replaces,
                address=client_address(request.META),
            )
        except DomainError as exc:
            if exc.code != "open_quota":
                raise  # the project's handler answers the others, as before
            return _tus(Response(exc.as_dict(), status=_refusal(exc, 400)))
        location = reverse("api:upload", args=[upload.id])
        return _tus(
            HttpResponse(status=201 if created else 200),
            Location=location,
            **{"Upload-Offset": str(upload.offset)},
        )


class UploadResource(APIView):
    parser_classes = [OffsetOctetStream]

    @extend_schema(exclude=True)
    def head(self, request: Request, pk: str) -> Any:
        upload = access.upload_for(request.user, pk)
        if upload.state in GONE or (
            # The clock decides, not the chronograph's tick: past the deadline an open upload
            # can never become a bid [E27, L28].
            upload.state == UploadState.OPEN and clock.now() >= upload.section.bid_deadline
        ):
            code = upload.refusal_code or "expired"
            reason = upload.refusal_reason or REASONS["expired"]
            return _tus(
                HttpResponse(status=410),
                **{"Ggzy-Refused": code, "Ggzy-Reason": _reason_header(reason)},
            )
        headers = {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length)}
        if upload.state == UploadState.COMPLETE:
            headers["Ggzy-Bid"] = str(upload.bid.pk)
        if upload.state == UploadState.REFUSED:
            headers["Ggzy-Refused"] = upload.refusal_code
            # The reason, not only the code: ggzy-bid prints it as the platform worded it.
            headers["Ggzy-Reason"] = _reason_header(
                upload.refusal_reason or REASONS.get(upload.refusal_code, "")
            )
        return _tus(HttpResponse(status=200), **headers)

    @extend_schema(
        request={"application/offset+octet-stream": bytes},
        parameters=[OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER, required=True)],
        responses={
            204: None,
            400: OpenApiResponse(description="empty_part: a PATCH must carry bytes"),
            403: OpenApiResponse(description="late / not_accepting (the upload is refused)"),
            409: OpenApiResponse(description="offset_mismatch: Upload-Offset says where to go on"),
            410: OpenApiResponse(description="terminated or expired: the upload is gone"),
            422: OpenApiResponse(description="the bid is refused: code and bilingual detail"),
            507: OpenApiResponse(
                description="storage_full: nothing of this part stored, nothing lost; retry "
                "after Retry-After seconds"
            ),
        },
        description="Append bytes at Upload-Offset (at most Ggzy-Max-Chunk per request). The "
        "request that completes the upload also verifies the envelope and files the bid; the "
        "response then carries Ggzy-Bid and the receipt is at /api/bids/{id}/receipt.",
    )
    def patch(self, request: Request, pk: str) -> Any:
        upload = access.upload_for(request.user, pk)
        if request.content_type != OffsetOctetStream.media_type:
            return _tus(Response({"code": "invalid", "detail": "Content-Type"}, status=415))
        offset = header_integer(request.headers.get("Upload-Offset"), "Upload-Offset")
        try:
            upload = services.upload_append(
                upload=upload,
                person=_person(request),
                offset=offset,
                stream=request._request,
                address=client_address(request.META),
            )
        except DomainError as exc:
            code = _refusal(exc, 422)
            response = Response(exc.as_dict(), status=code)
            headers = {"Upload-Offset": str(upload.offset)} if code in (409, 507) else {}
            if code == 507:
                headers["Retry-After"] = STORAGE_RETRY_AFTER
            return _tus(response, **headers)
        headers = {"Upload-Offset": str(upload.offset)}
        if upload.state == UploadState.COMPLETE:
            headers["Ggzy-Bid"] = str(upload.bid.pk)
        return _tus(HttpResponse(status=204), **headers)

    @extend_schema(
        request=None,
        responses={
            204: None,
            403: OpenApiResponse(description="terminate_late: after the deadline"),
            404: OpenApiResponse(description="no such upload of your organisation"),
            409: OpenApiResponse(description="complete: the upload is a bid; withdraw it"),
            410: OpenApiResponse(description="the upload is already over"),
        },
        description="tus termination: abandon your open upload before the deadline; its "
        "stored parts are deleted and the address answers 410 from then on.",
    )
    def delete(self, request: Request, pk: str) -> Any:
        upload = access.upload_for(request.user, pk)
        try:
            services.upload_terminate(
                upload=upload, person=_person(request), address=client_address(request.META)
            )
        except DomainError as exc:
            return _tus(Response(exc.as_dict(), status=_refusal(exc, 409)))
        return _tus(HttpResponse(status=204))


class BidSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="section.code")

    class Meta:
        model = Bid
        fields = [
            "id",  # a UUID: nothing here counts other bids [E21]
            "section",
            "status",
            "sm3",
            "size",
            "received_at",
            "withdrawn_at",
        ]


class BidList(APIView):
    @extend_schema(responses=BidSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(BidSerializer(access.own_bids(request.user), many=True).data)


class ReceiptPayloadSerializer(serializers.Serializer):
    """What a receipt states (``ggzy-receipt/2``, ggzy_core/receipts.py); signed as it stands."""

    format = serializers.CharField(help_text="ggzy-receipt/2")
    kind = serializers.CharField(help_text="received or withdrawn")
    section = serializers.CharField(help_text="the section's code")
    section_id = serializers.IntegerField()
    bidder = serializers.CharField(help_text="the bidding organisation's credit code")
    bid_id = serializers.UUIDField()
    sm3 = serializers.CharField(help_text="SM3 of the sealed envelope (hex)")
    size = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField()


class ReceiptSerializer(serializers.Serializer):
    """A receipt as the bidder keeps it (``services.receipt_document``): it verifies offline
    with the platform key (``ggzy-bid receipt verify``)."""

    payload = ReceiptPayloadSerializer()
    signature = serializers.CharField(help_text="the platform's SM2 signature (hex DER)")
    key_fingerprint = serializers.CharField(help_text="of the platform key that signed")


class ReceiptView(APIView):
    @extend_schema(
        responses=ReceiptSerializer(many=True),
        description="The signed receipts of one of your bids (received, withdrawn).",
    )
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        bid = access.bid_for(request.user, pk)
        return Response([services.receipt_document(receipt) for receipt in bid.receipts.all()])


class WithdrawView(APIView):
    @extend_schema(
        request=None,
        responses={201: ReceiptSerializer},
        description="Withdraw your bid before the deadline [E27, R35]; answers the signed "
        "withdrawal receipt.",
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        bid = access.bid_for(request.user, pk)
        receipt = services.bid_withdraw(
            bid=bid, person=_person(request), address=client_address(request.META)
        )
        return Response(services.receipt_document(receipt), status=status.HTTP_201_CREATED)


class PlatformKeyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        responses={
            (200, "application/x-pem-file"): OpenApiResponse(
                OpenApiTypes.STR, description="the public key, PEM"
            )
        },
        description="The platform's SM2 public key (PEM): verifies receipts and ledger checkpoints.",
    )
    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(
            signing.platform_public_key().to_pem(), content_type="application/x-pem-file"
        )
