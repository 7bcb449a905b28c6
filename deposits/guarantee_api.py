"""The guarantee API: issuers submit and revoke (signed requests, docs/guarantees.md); anyone
holding a guarantee's number and verification code checks it."""

from __future__ import annotations

from typing import Any

import cn2an
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from deposits import guarantees
from deposits.guarantee_terms import MAX_DOCUMENT_BYTES, MAX_PAYLOAD_BYTES
from deposits.issuers import IssuerAuthenticationError, SignedRequest, require_headers
from deposits.models import Guarantee, Issuer
from ggzy.errors import DomainError
from ggzy.log import mark_refusal
from ggzy.throttling import AnonymousReadThrottle, VerificationThrottle
from ggzy_core import guarantee as protocol

AUTH_SCHEME = 'Ggzy-SM2 realm="guarantee issuers"'
# The multipart envelope around the payload, the signature and the document.
MULTIPART_OVERHEAD = 64 * 1024
MAX_SUBMISSION_BYTES = MAX_DOCUMENT_BYTES + MAX_PAYLOAD_BYTES + MULTIPART_OVERHEAD
MAX_REVOCATION_BYTES = guarantees.MAX_REVOCATION_BYTES
STATUS_OF = {
    "too_large": 413,
    "duplicate": 409,
    "conflict": 409,
    "not_found": 404,
    "forbidden": 403,
    "issuer_inactive": 403,
}
NOT_FOUND = {
    "code": "not_found",
    "detail": "未找到：请核对保函编号和保函上印的验证码 / Not found: check the guarantee number "
    "and the verification code printed on the guarantee",
}


def refusal(request: Request, exc: DomainError, status: int | None = None) -> Response:
    mark_refusal(request, exc.code)
    if isinstance(exc, IssuerAuthenticationError):
        headers = {"WWW-Authenticate": AUTH_SCHEME} if exc.status == 401 else {}
        return Response(exc.as_dict(), status=exc.status, headers=headers)
    return Response(exc.as_dict(), status=status or STATUS_OF.get(exc.code, 400))


def _too_large(limit: int) -> DomainError:
    return DomainError(
        f"请求过大（上限 {limit // 1024} KiB） / The request is too large (limit {limit // 1024} "
        "KiB): see the size limits in docs/guarantees.md",
        code="too_large",
    )


def _content_length(request: Request, limit: int) -> None:
    """Refuse by the declared length before anything is parsed."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > limit:
        raise _too_large(limit)


def _signed(request: Request, content: bytes) -> SignedRequest:
    headers = request.headers
    return SignedRequest(
        issuer=headers.get(protocol.HEADER_ISSUER, "")[:32],
        method=request.method or "",
        path=request.path,
        timestamp=headers.get(protocol.HEADER_TIMESTAMP, "")[:32],
        nonce=headers.get(protocol.HEADER_NONCE, "")[:80],
        signature=headers.get(protocol.HEADER_SIGNATURE, "")[:400],
        content=content,
    )


def _field(request: Request, name: str) -> object:
    data: Any = request.data
    return data.get(name) if hasattr(data, "get") else None


def _part(request: Request, name: str, limit: int) -> bytes:
    """A multipart part as bytes: a file part, or (the payload only) a plain field."""
    upload = request.FILES.get(name)
    if upload is not None:
        if upload.size is None or upload.size > limit:
            raise DomainError(
                f"{name} 过大（上限 {limit // 1024} KiB） / {name} is too large (limit "
                f"{limit // 1024} KiB)",
                code="too_large",
                field=name,
            )
        return bytes(upload.read())
    value = _field(request, name)
    if isinstance(value, str) and name == "payload":
        data = value.encode("utf-8")
        if len(data) > limit:
            raise _too_large(limit)
        return data
    raise DomainError(
        f"缺少 {name} 部分 / The multipart part {name!r} is missing (see docs/guarantees.md)",
        code="invalid",
        field=name,
    )


def _signature(request: Request) -> bytes:
    value = _field(request, "signature")
    try:
        if not isinstance(value, str) or len(value) > 160:
            raise ValueError(value)
        return bytes.fromhex(value.strip())
    except ValueError:
        raise DomainError(
            "signature 应为保函签名的十六进制 DER / signature must be the guarantee signature, "
            "hex DER",
            code="invalid",
            field="signature",
        ) from None


def issuer_view(guarantee: Guarantee) -> dict[str, Any]:
    """What the issuer learns about a guarantee it submitted or revoked."""
    return {
        "number": guarantee.number,
        "issuer": guarantee.issuer.credit_code,
        "status": guarantee.status,
        "verification_code": guarantees.format_code(guarantee.verification_code),
        "section": guarantee.section.code,
        "bidder": guarantee.bidder.credit_code,
        "amount": f"{guarantee.amount:.2f}",
        "valid_from": guarantee.valid_from.isoformat(),
        "valid_until": guarantee.valid_until.isoformat(),
        "document_sm3": guarantee.document_sm3,
        "received_at": guarantee.received_at.isoformat(),
        "revoked_at": guarantee.revoked_at.isoformat() if guarantee.revoked_at else None,
        "revoked_after_deadline": guarantee.revoked_after_deadline,
    }


def public_view(guarantee: Guarantee) -> dict[str, Any]:
    """What the holder of the number and the code sees."""
    return {
        "number": guarantee.number,
        "status": guarantee.status,
        "status_display": str(guarantee.get_status_display()),
        "issuer": {"name": guarantee.issuer.name, "credit_code": guarantee.issuer.credit_code},
        "beneficiary": {
            "name": guarantee.beneficiary.name,
            "credit_code": guarantee.beneficiary.credit_code,
        },
        "bidder": {"name": guarantee.bidder.name, "credit_code": guarantee.bidder.credit_code},
        "section": {"code": guarantee.section.code, "name": guarantee.section.name},
        "amount": f"{guarantee.amount:.2f}",
        "amount_in_words": amount_in_words(guarantee),
        "currency": "CNY",
        "valid_from": guarantee.valid_from.isoformat(),
        "valid_until": guarantee.valid_until.isoformat(),
        "document_sm3": guarantee.document_sm3,
    }


def amount_in_words(guarantee: Guarantee) -> str:
    """人民币大写, as on the guarantee itself."""
    return str(cn2an.an2cn(str(guarantee.amount), "rmb"))


class IssuerView(APIView):
    """Issuers authenticate by signature (``deposits.issuers``), not by session or token."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonymousReadThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        return AUTH_SCHEME


class GuaranteeCollection(IssuerView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": OpenApiTypes.OBJECT},
        responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT},
        description="An issuer submits an electronic guarantee: multipart parts payload "
        "(canonical JSON), signature (hex DER over the payload) and document (PDF), with the "
        "Ggzy-Issuer/-Timestamp/-Nonce/-Signature headers. 201 with the verification code; "
        "the same submission again: 200 with the same answer. See docs/guarantees.md.",
    )
    def post(self, request: Request) -> Response:
        try:
            _content_length(request, MAX_SUBMISSION_BYTES)
            require_headers(_signed(request, b""))  # who asks, before the body is parsed
            payload = _part(request, "payload", MAX_PAYLOAD_BYTES)
            document = _part(request, "document", MAX_DOCUMENT_BYTES)
            signature = _signature(request)
            issuer = guarantees.issuer_authenticate(request=_signed(request, payload))
            guarantee, created = guarantees.guarantee_accept(
                issuer=issuer, payload=payload, signature=signature, document=document
            )
        except DomainError as exc:
            return refusal(request, exc)
        return Response(issuer_view(guarantee), status=201 if created else 200)


class GuaranteeRevoke(IssuerView):
    """The body is signed as bytes: the view reads ``request.body``, never a parsed form."""

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses=OpenApiTypes.OBJECT,
        description='The issuer revokes a guarantee: JSON {"format": '
        '"ggzy-guarantee-revocation/1", "number", "reason"}, signed like every issuer request.',
    )
    def post(self, request: Request, number: str) -> Response:
        try:
            _content_length(request, MAX_REVOCATION_BYTES)
            signed = _signed(request, request.body)
            issuer: Issuer = guarantees.issuer_authenticate(request=signed)
            guarantee = guarantees.guarantee_revoke(issuer=issuer, number=number, request=signed)
        except DomainError as exc:
            return refusal(request, exc)
        return Response(issuer_view(guarantee))


class GuaranteeVerify(APIView):
    """Public: the same answer for an unknown number and for a wrong code."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [VerificationThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("number", str, required=True),
            OpenApiParameter("code", str, required=True, description="the verification code"),
        ],
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
        description="Check a guarantee by its number and the verification code printed on "
        "it. Either wrong: 404, the same answer. Rate limited per address.",
    )
    def get(self, request: Request) -> Response:
        number = request.query_params.get("number", "")
        code = request.query_params.get("code", "")
        found = guarantees.verify_public(number=number, code=code)
        if found is None:
            mark_refusal(request, "not_found")
            response = Response(NOT_FOUND, status=404)
        else:
            response = Response(public_view(found))
        response["Cache-Control"] = "no-store"
        return response
