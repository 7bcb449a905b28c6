"""The accounts API used by ggzy-bid: tokens, who am I, the organisation's keys."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access, services
from accounts.models import Organisation, OrganisationKey, Person
from ggzy.throttling import LoginAttemptThrottle


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "credit_code", "kind", "legal_representative"]


class PersonSerializer(serializers.ModelSerializer):
    organisation = OrganisationSerializer(read_only=True, allow_null=True)  # experts: none

    class Meta:
        model = Person
        fields = ["id", "username", "display_name", "role", "is_organisation_admin", "organisation"]


class KeySerializer(serializers.ModelSerializer):
    class Meta:
        model = OrganisationKey
        fields = ["id", "fingerprint", "public_key_pem", "status", "bound_at", "retired_at"]


class TokenRequest(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenView(APIView):
    """Exchange a username and password for an API token (shown once)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    # Only the login bucket (per username + address), never the anonymous-read one: reading
    # public data must not cost a bidder its login, nor guessing cost others their reads.
    throttle_classes = [LoginAttemptThrottle]

    @extend_schema(
        request=TokenRequest,
        responses={
            200: inline_serializer(
                "IssuedToken",
                {"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
            ),
            # django-axes answers a locked-out login with its (bilingual) page.
            (429, "text/html"): OpenApiResponse(
                OpenApiTypes.STR, description="Locked out after failed logins"
            ),
            (429, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="Too many requests"
            ),
        },
    )
    def post(self, request: Request) -> Response:
        form = TokenRequest(data=request.data)
        form.is_valid(raise_exception=True)
        # Through authenticate() so axes counts failures and locks out guessing.
        person = authenticate(
            request._request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if person is None:
            return Response(
                {
                    "code": "bad_credentials",
                    "detail": "用户名或密码错误，或已被暂时锁定 / "
                    "Wrong username or password, or temporarily locked out",
                },
                status=status.HTTP_401_UNAUTHORIZED,
            )
        assert isinstance(person, Person)  # nosec B101 # type narrowing: authenticate() returned a user
        token, raw = services.token_issue(person=person)
        return Response({"token": raw, "expiry": token.expiry}, status=status.HTTP_201_CREATED)


class MeView(APIView):
    @extend_schema(responses=PersonSerializer)
    def get(self, request: Request) -> Response:
        return Response(PersonSerializer(request.user).data)


class KeyBindRequest(serializers.Serializer):
    public_key = serializers.CharField(help_text="SM2 public key (SPKI PEM) or X.509 cert PEM")


class OrganisationKeysView(APIView):
    @extend_schema(responses=KeySerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        organisation = access.organisation_for(request.user, pk)
        return Response(KeySerializer(organisation.keys.all(), many=True).data)

    @extend_schema(request=KeyBindRequest, responses={201: KeySerializer})
    def post(self, request: Request, pk: int) -> Response:
        organisation = access.organisation_for(request.user, pk, manage=True)
        form = KeyBindRequest(data=request.data)
        form.is_valid(raise_exception=True)
        assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
        key = services.key_bind(
            organisation=organisation,
            actor=request.user,
            key_data=form.validated_data["public_key"].encode(),
        )
        return Response(KeySerializer(key).data, status=status.HTTP_201_CREATED)
