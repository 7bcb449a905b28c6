"""Routes of the transparency log: ``api_patterns`` are mounted under ``/api/`` (namespace
``api``), ``urlpatterns`` under ``/ledger/`` (namespace ``transparency``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from supervision.transparency import api, views

app_name = "transparency"

api_patterns: list[URLPattern] = [
    path("ledger/heads/latest", api.LatestHead.as_view(), name="ledger-head"),
    path("ledger/heads", api.HeadList.as_view(), name="ledger-heads"),
    path("ledger/consistency", api.Consistency.as_view(), name="ledger-consistency"),
    path("ledger/inclusion", api.Inclusion.as_view(), name="ledger-inclusion"),
    path("bids/<uuid:pk>/ledger-proof", api.BidLedgerProof.as_view(), name="bid-ledger-proof"),
]
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("heads.atom", views.HeadFeed(), name="feed"),
]
