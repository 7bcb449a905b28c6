"""Thin, idempotent tasks: ids in, services do the work."""

from celery import shared_task

from realtime import decryption
from realtime.models import BidOpening


@shared_task(acks_late=True)
def decrypt_bid(opening_id: int) -> str:
    try:
        return decryption.decrypt(opening_id)
    except BidOpening.DoesNotExist:
        return "gone"  # queued for a bid that is gone (a reset test database)
