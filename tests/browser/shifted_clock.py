"""Run a Python module on a clock shifted forward, for the server processes of a test whose
own clock travelled (time-machine): ``python -m tests.browser.shifted_clock SECONDS MODULE
ARGS...`` runs ``python -m MODULE ARGS...`` with every clock the process reads (``time.time``,
``datetime.now``, …; not the monotonic one) ``SECONDS`` ahead of the real one, ticking.

The test process travels to the same moment at the same time (tests/browser/timeline.py), so
daphne, the Celery worker and the test agree on what time it is, days after the real one:
the deadline passes, and the opening hall opens, without waiting for it.
"""

from __future__ import annotations

import datetime as dt
import runpy
import sys

import time_machine


def main(argv: list[str]) -> None:
    seconds, module, *rest = argv
    moment = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=float(seconds))
    time_machine.travel(moment, tick=True).start()
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
