"""Callbacks to the platform: each credit line is POSTed, signed, from a background thread,
retried with exponential backoff until a 2xx answer or the attempts run out (the line
stays on the statement either way: the platform's statement pull is the safety net)."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from simulators.bank import signing
from simulators.bank.accounts import Line
from simulators.bank.faults import Faults

log = logging.getLogger("simulators.bank.callbacks")
# The platform refused the line itself (malformed, a conflicting reference, too large):
# sending it again cannot help (docs/bank-interface.md, "Callbacks").
FINAL = frozenset({400, 409, 413})


@dataclass(frozen=True)
class Settings:
    url: str
    secret: str
    attempts: int = 8
    backoff: float = 0.5  # seconds before the 2nd attempt; doubles each time
    max_backoff: float = 30.0
    timeout: float = 10.0


class Deliverer:
    def __init__(self, settings: Settings, faults: Faults) -> None:
        self.settings = settings
        self.faults = faults
        self.delivered = 0  # 2xx answers received (the control health shows it)
        self._lock = threading.Lock()

    def send(self, line: Line) -> None:
        if not self.settings.url:
            return
        fault = self.faults.take("callback")
        mode = fault.mode if fault else None
        if mode == "drop":
            log.info("callback %s dropped (fault)", line.reference)
            return
        delay = fault.seconds if fault and mode == "delay" else 0.0
        times = 2 if mode == "twice" else 1
        threading.Thread(
            target=self._deliver,
            args=(line, delay, times),
            name=f"callback-{line.reference}",
            daemon=True,
        ).start()

    def _deliver(self, line: Line, delay: float, times: int) -> None:
        time.sleep(delay)
        body = json.dumps(line.as_json(), ensure_ascii=False).encode()
        for _ in range(times):
            self._with_retries(line.reference, body)

    def _with_retries(self, reference: str, body: bytes) -> None:
        target = urlsplit(self.settings.url)
        path = target.path + (f"?{target.query}" if target.query else "")
        wait = self.settings.backoff
        for attempt in range(1, self.settings.attempts + 1):
            # Signed afresh each attempt: a new timestamp and nonce (a replay is refused).
            headers = signing.headers(self.settings.secret, "POST", path, body)
            # The URL is an http(s) option checked at start-up (__main__), never a request's.
            request = urllib.request.Request(  # noqa: S310
                self.settings.url,
                data=body,
                method="POST",
                headers={**headers, "Content-Type": "application/json"},
            )
            try:
                opened = urllib.request.urlopen(request, timeout=self.settings.timeout)  # noqa: S310  # nosec B310 # http(s) only, checked at start-up
                with opened as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (OSError, TimeoutError) as exc:
                status = 0
                log.info("callback %s attempt %d: %s", reference, attempt, exc)
            if 200 <= status < 300:
                with self._lock:
                    self.delivered += 1
                log.info("callback %s delivered (attempt %d)", reference, attempt)
                return
            log.info("callback %s attempt %d answered %s", reference, attempt, status)
            if status in FINAL:
                log.warning("callback %s refused for good (%s): not retried", reference, status)
                return
            if attempt < self.settings.attempts:
                time.sleep(wait)
                wait = min(wait * 2, self.settings.max_backoff)
        log.warning("callback %s given up after %d attempts", reference, self.settings.attempts)
