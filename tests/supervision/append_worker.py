"""Run as a separate process by the concurrency test: appends N entries after a start time."""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from supervision import ledger  # noqa: E402

count, worker, start_at = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
time.sleep(max(0.0, start_at - time.time()))
for index in range(count):
    ledger.append("tests.concurrent.appended", data={"worker": worker, "index": index})
