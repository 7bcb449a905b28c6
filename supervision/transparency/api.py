"""The transparency log's public API: signed tree heads, consistency and inclusion proofs
(no login; throttled like every anonymous read), and a bid's proof bundle for the bidder's
own organisation (docs/ledger.md, "The transparency log")."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bidding import access
from ggzy.errors import DomainError
from supervision.transparency import proofs


class TreeHeadSerializer(serializers.Serializer):
    """A signed tree head (ggzy-tree-head/1): pin it, compare it with others' pins."""

    format = serializers.CharField(help_text="ggzy-tree-head/1")
    tree_size = serializers.IntegerField(help_text="the number of leaves (published entries)")
    root_hash = serializers.CharField(help_text="SM3 Merkle root (RFC 9162 §2.1), hex")
    timestamp = serializers.CharField(help_text="server time of signing, ISO 8601 UTC")
    signature = serializers.CharField(
        help_text="the platform's SM2 signature (hex DER) over "
        'b"ggzy-tree-head\\n" + canonical({format, root_hash, timestamp, tree_size})'
    )
    key_fingerprint = serializers.CharField(help_text="of the platform key that signed")


class TreeHeadListSerializer(serializers.Serializer):
    heads = TreeHeadSerializer(many=True)


class ConsistencySerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    proof = serializers.ListField(child=serializers.CharField(), help_text="RFC 9162 2.1.4.1")


class InclusionSerializer(serializers.Serializer):
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    proof = serializers.ListField(child=serializers.CharField(), help_text="RFC 9162 2.1.3.1")


class ProofBundleSerializer(serializers.Serializer):
    format = serializers.CharField(help_text="ggzy-ledger-proof/1")
    entry = serializers.DictField(help_text="the ledger entry's public record (the leaf's data)")
    leaf_index = serializers.IntegerField()
    inclusion = serializers.ListField(child=serializers.CharField())
    tree_head = TreeHeadSerializer()


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []


class LatestHead(PublicView):
    @extend_schema(
        responses={200: TreeHeadSerializer, 404: OpenApiResponse(description="no head yet")},
        description="The newest signed tree head. A head is signed every minute whether or not "
        "anything happened; its timestamp is its freshness.",
    )
    def get(self, request: Request) -> Response:
        return Response(proofs.head_json(proofs.latest_head()))


class HeadList(PublicView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.DATETIME, description="heads signed after"),
            OpenApiParameter("limit", int, description="1..500, default 100"),
        ],
        responses={200: TreeHeadListSerializer},
        description="Signed tree heads, oldest first: page on with after=<last timestamp>.",
    )
    def get(self, request: Request) -> Response:
        after = _time(request.query_params.get("after"), "after")
        limit = _integer(request.query_params.get("limit"), "limit", default=proofs.DEFAULT_HEADS)
        heads = proofs.heads_after(after, limit)
        return Response({"heads": [proofs.head_json(head) for head in heads]})


class Consistency(PublicView):
    @extend_schema(
        parameters=[
            OpenApiParameter("first", int, required=True),
            OpenApiParameter("second", int, required=True),
        ],
        responses={200: ConsistencySerializer},
        description="Proof that the tree of `first` leaves is a prefix of the tree of `second` "
        "(0 < first ≤ second ≤ the latest published size).",
    )
    def get(self, request: Request) -> Response:
        first = _integer(request.query_params.get("first"), "first")
        second = _integer(request.query_params.get("second"), "second")
        proof = proofs.consistency(first=first, second=second)
        return Response({"first": first, "second": second, "proof": [h.hex() for h in proof]})


class Inclusion(PublicView):
    @extend_schema(
        parameters=[
            OpenApiParameter("leaf_hash", str, required=True, description="64 hex digits"),
            OpenApiParameter("tree_size", int, required=True),
        ],
        responses={
            200: InclusionSerializer,
            404: OpenApiResponse(description="no such leaf among the first tree_size"),
        },
        description="Where a leaf is among the first `tree_size` leaves, and its audit path.",
    )
    def get(self, request: Request) -> Response:
        leaf_hash = str(request.query_params.get("leaf_hash") or "")
        tree_size = _integer(request.query_params.get("tree_size"), "tree_size")
        index, path = proofs.inclusion(leaf_hash=leaf_hash, tree_size=tree_size)
        return Response(
            {"leaf_index": index, "tree_size": tree_size, "proof": [h.hex() for h in path]}
        )


class BidLedgerProof(APIView):
    @extend_schema(
        responses={
            200: ProofBundleSerializer,
            404: OpenApiResponse(description="no such bid of your organisation"),
            409: OpenApiResponse(description="the entry is not in a published head yet"),
        },
        description="The proof bundle of one of your bids' ledger entry against the latest "
        "signed tree head; it verifies offline (ggzy-bid receipt verify --proof). Available "
        "from the first head after the bid deadline.",
    )
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        bid = access.bid_for(request.user, pk)
        return Response(
            proofs.bid_bundle(bid_id=str(bid.pk), section_deadline=bid.section.bid_deadline)
        )


def _integer(text: str | None, name: str, *, default: int | None = None) -> int:
    if text is None and default is not None:
        return default
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise DomainError(
            f"{name} 须为非负整数 / {name} must be a non-negative whole number",
            code="invalid",
            field=name,
        )
    return int(text)


def _time(text: str | None, name: str) -> dt.datetime | None:
    if not text:
        return None
    # A "+" in a query string arrives as a space; ISO 8601 with "T" has none of its own.
    moment: dt.datetime | None = None
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "+").replace("Z", "+00:00"))
        moment = parsed.astimezone(dt.UTC) if parsed.tzinfo else None
    except (ValueError, OverflowError):
        pass
    if moment is None:
        raise DomainError(
            f"{name} 须为带时区的 ISO 8601 时间（如 2026-12-01T12:00:00+00:00） / {name} must "
            "be an ISO 8601 time with its zone (e.g. 2026-12-01T12:00:00+00:00)",
            code="invalid",
            field=name,
        )
    return moment
