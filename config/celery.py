"""The Celery application.

With no ``REDIS_URL`` the broker is kombu's filesystem transport under ``var/celery`` so
that ``make demo`` runs a real worker and beat without any server; with ``REDIS_URL`` it is
Redis. Both choices are made in settings; this module only wires Celery to them.
"""

import os

from celery import Celery

from ggzy.observability.heartbeat import WorkerHeartbeat

# The worker and beat write broker messages and the beat schedule under var/: private from
# the first file on (settings set the same umask, but Celery loads them lazily).
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ggzy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# `manage.py health worker` (the containers' health check) reads the file this step touches.
app.steps["consumer"].add(WorkerHeartbeat)
