"""The transparency log's public page and its Atom feed of signed tree heads (no login)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ggzy import signing
from supervision.models import LedgerTreeHead
from supervision.transparency import proofs

RECENT_HEADS = 10
FEED_HEADS = 60  # an hour of heads at the default cadence


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the log is, its latest head, and how to pin and monitor it."""
    recent = list(LedgerTreeHead.objects.order_by("-id")[:RECENT_HEADS])
    key = signing.platform_public_key()
    shown = [{**proofs.head_json(head), "signed_at": head.timestamp} for head in recent]
    context = {
        "latest": shown[0] if shown else None,
        "recent": shown,
        "key_pem": key.to_pem().decode(),
        "key_fingerprint": key.fingerprint(),
        "api_latest": request.build_absolute_uri(reverse("api:ledger-head")),
        "server": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "transparency/index.html", context)


class HeadFeed(Feed):
    """Atom: one item per signed head, newest first; the item's content is the head's JSON,
    as ``GET /api/ledger/heads/latest`` gives it, to pin as it is."""

    feed_type = Atom1Feed
    title = _("ggzy ledger: signed tree heads")
    subtitle = _(
        "The platform signs the head of its public audit-log tree every minute. Pin heads; "
        "check consistency between them with ggzy-bid log monitor."
    )

    def link(self) -> str:
        return reverse("transparency:index")

    def items(self) -> list[dict[str, Any]]:
        heads = LedgerTreeHead.objects.order_by("-id")[:FEED_HEADS]
        return [proofs.head_json(head) for head in heads]

    def item_title(self, item: dict[str, Any]) -> str:
        return f"tree_size {item['tree_size']} · {item['timestamp']}"

    def item_description(self, item: dict[str, Any]) -> str:
        return json.dumps(item, sort_keys=True)

    def item_link(self, item: dict[str, Any]) -> str:
        return f"{reverse('transparency:index')}#{item['timestamp']}"

    def item_guid(self, item: dict[str, Any]) -> str:
        return f"ggzy-tree-head:{item['timestamp']}:{item['signature'][:32]}"

    def item_pubdate(self, item: dict[str, Any]) -> Any:
        return proofs.parse_time(item["timestamp"])

    def item_updateddate(self, item: dict[str, Any]) -> Any:
        return proofs.parse_time(item["timestamp"])
