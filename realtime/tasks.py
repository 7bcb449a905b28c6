"""The hall's Celery tasks, for the worker's autodiscovery. Each lives with the service that
queues it (realtime/decryption.py, realtime/closing.py), under the name it always had, so
that no service imports this module and no cycle hides behind a function-level import."""

from realtime.closing import publish_record_task as publish_record
from realtime.decryption import decrypt_bid

__all__ = ["decrypt_bid", "publish_record"]
