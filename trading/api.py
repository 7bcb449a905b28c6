"""Public section data for tools: what a bidder's machine needs to seal a bid."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trading import access
from trading.models import Section


class SectionSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.name")
    tenderee = serializers.CharField(source="project.tenderee.name")

    class Meta:
        model = Section
        fields = [
            "id",
            "code",
            "name",
            "project",
            "tenderee",
            "category",
            "status",
            "estimated_price",
            "price_ceiling",
            "bid_deposit",
            "bid_validity_days",
            "documents_from",
            "bid_deadline",
            "decryption_window_minutes",
            "evaluation_method",
            "read_items",
            "opening_key_pem",
            "opening_key_fingerprint",
        ]


class SectionDetail(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        responses=SectionSerializer, description="A published section, with its opening key."
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(SectionSerializer(access.section_for(request.user, {"code": code})).data)
