"""Routes of the opening key ceremony (the dealer-free key generation, docs/envelope.md):
``api_patterns`` are mounted under ``/api/`` (namespace ``api``), ``urlpatterns`` at the
site's root beside trading's pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from trading import ceremony_api, ceremony_views

api_patterns: list[URLPattern] = [
    path(
        "sections/<str:code>/ceremony",
        ceremony_api.Ceremony.as_view(),
        name="section-ceremony",
    ),
    path(
        "sections/<str:code>/ceremony/dealing",
        ceremony_api.Dealing.as_view(),
        name="section-ceremony-dealing",
    ),
    path(
        "sections/<str:code>/ceremony/verification",
        ceremony_api.Verification.as_view(),
        name="section-ceremony-verification",
    ),
    path(
        "sections/<str:code>/ceremony/start",
        ceremony_api.Start.as_view(),
        name="section-ceremony-start",
    ),
]
urlpatterns: list[URLPattern] = [
    path(
        "manage/sections/<int:pk>/opening-key/ceremony/",
        ceremony_views.start,
        name="opening_key_ceremony_start",
    ),
    path(
        "manage/sections/<int:pk>/opening-key/mode/",
        ceremony_views.choose_mode,
        name="opening_key_mode",
    ),
]
