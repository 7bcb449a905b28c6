"""The Celery application.

With no ``REDIS_URL`` the broker is kombu's filesystem transport under ``var/celery`` so
that ``make demo`` runs a real worker and beat without any server; with ``REDIS_URL`` it is
Redis. Both choices are made in settings; this module only wires Celery to them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ggzy.settings")

app = Celery("ggzy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
