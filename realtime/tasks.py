"""Thin, idempotent tasks: ids in, services do the work."""

from celery import shared_task

from realtime import decryption


@shared_task(acks_late=True)
def decrypt_bid(opening_id: int) -> str:
    return decryption.decrypt(opening_id)
