"""Who may see an upload or a bid: before the deadline, only the bidder's own people —
not staff, not the superuser [E27, E21]. The one access helper for these types."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from bidding.models import Bid, Upload


def upload_for(user: Any, pk: Any) -> Upload:
    organisation_id = getattr(user, "organisation_id", None) if user.is_authenticated else None
    try:
        upload = Upload.objects.select_related("section").get(pk=pk)
    except (Upload.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc
    if organisation_id is None or upload.organisation_id != organisation_id:
        raise Http404
    return upload


def bid_for(user: Any, pk: Any) -> Bid:
    """``pk`` is the bid's UUID; anything else (an old integer id, garbage) is not found."""
    organisation_id = getattr(user, "organisation_id", None) if user.is_authenticated else None
    try:
        bid = Bid.objects.select_related("section", "organisation").get(pk=pk)
    except (Bid.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc
    if organisation_id is None or bid.organisation_id != organisation_id:
        raise Http404
    return bid


def own_bids(user: Any) -> QuerySet[Bid]:
    organisation_id = getattr(user, "organisation_id", None) if user.is_authenticated else None
    if organisation_id is None:
        return Bid.objects.none()
    return Bid.objects.filter(organisation_id=organisation_id).select_related("section")
