"""Answers the trading floor's questions about bids."""

from typing import Any

from django.dispatch import receiver

from bidding import services
from trading.models import Section
from trading.signals import count_live_bids


@receiver(count_live_bids)
def answer_live_bids(sender: Any, section: Section, **kwargs: Any) -> int:
    return services.live_bid_count(section)
