"""ggzy: a public resource trading platform with remote, no-presence bid opening."""

from ggzy.celery import app as celery_app

__all__ = ["celery_app"]
