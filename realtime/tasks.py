"""Thin, idempotent tasks: ids in, services do the work."""

from celery import shared_task

from realtime import closing, decryption
from realtime.models import BidOpening, Hall


@shared_task(acks_late=True)
def decrypt_bid(opening_id: int) -> str:
    try:
        return decryption.decrypt(opening_id)
    except BidOpening.DoesNotExist:
        return "gone"  # queued for a bid that is gone (a reset test database)


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def publish_record(hall_id: int) -> str:
    """The opening record of a closed hall, built outside any lock (realtime.closing). Safe to
    run twice; retried on failure, and re-queued by the chronograph if every try fails."""
    try:
        return closing.publish_record(hall_id)
    except Hall.DoesNotExist:
        return "gone"
