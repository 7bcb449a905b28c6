"""Answers the trading floor's questions about bids, and follows its sections: when a
section stops taking bids (the chronograph at the deadline, or a cancellation), the uploads
still open in it expire. Trading never imports bidding; it sends these signals."""

from typing import Any

from django.dispatch import receiver

from bidding import services
from trading.models import Section
from trading.signals import bidders_of, count_live_bids, status_changed


@receiver(count_live_bids)
def answer_live_bids(sender: Any, section: Section, **kwargs: Any) -> int:
    return services.live_bid_count(section)


@receiver(bidders_of)
def answer_bidders(sender: Any, section: Section, **kwargs: Any) -> set[str]:
    return services.live_bidder_codes(section)


@receiver(status_changed)
def expire_open_uploads(
    sender: Any, section: Section, source: str, target: str, **kwargs: Any
) -> None:
    # Sent inside the chronograph's (or the cancelling service's) transaction: the expiry
    # commits with the status change or not at all [E27, L28].
    if source in services.ACCEPTING and target not in services.ACCEPTING:
        services.uploads_expire(section=section)
