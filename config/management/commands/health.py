"""``python manage.py health worker|beat|web``: exit 0 when the process is healthy, 1 if not
— the container health checks of docker/compose.yml and ``make cluster``.

- worker: its heartbeat file (ggzy/observability/heartbeat.py) is fresh;
- beat: its heartbeat file is fresh (beat touches it on every tick);
- web: this host's /healthz answers 200 (``--url``, default ``HEALTH_WEB_URL``).
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.observability import heartbeat

UNHEALTHY = 1


class Command(BaseCommand):
    help = "Exit 0 if this host's worker, beat or web process is healthy, 1 if not."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", choices=["worker", "beat", "web"])
        parser.add_argument(
            "--node",
            default="",
            help="the worker's node name (default: celery@<this host's name>)",
        )
        parser.add_argument(
            "--max-age", type=float, default=None, help="seconds a heartbeat may be old"
        )
        parser.add_argument("--url", default="", help="the /healthz to ask (web)")
        parser.add_argument("--timeout", type=float, default=None, help="seconds (web)")

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"]
        if role == "web":
            healthy, words = self._web(options["url"] or settings.HEALTH_WEB_URL, options)
        else:
            node = options["node"] or f"celery@{socket.gethostname()}"
            path = heartbeat.worker_file(node) if role == "worker" else heartbeat.beat_file()
            default_age = (
                settings.HEALTH_WORKER_MAX_AGE_SECONDS
                if role == "worker"
                else settings.HEALTH_BEAT_MAX_AGE_SECONDS
            )
            max_age = options["max_age"] if options["max_age"] is not None else default_age
            healthy, words = self._heartbeat(path, max_age)
        if not healthy:
            self.stderr.write(f"{role}: {words}")
            raise CommandError(f"{role} unhealthy / 不健康", returncode=UNHEALTHY)
        self.stdout.write(f"{role}: {words}")

    def _heartbeat(self, path: Path, max_age: float) -> tuple[bool, str]:
        age = heartbeat.age_seconds(path)
        if age is None:
            return False, (
                f"没有心跳文件 / no heartbeat file at {path}: the process has not started, "
                "or its consumer is not connected to the broker"
            )
        if age > max_age:
            return False, (
                f"心跳已过期 / heartbeat is {age:.0f} s old (more than {max_age:.0f} s): "
                "the process is stuck or gone; see its log"
            )
        return True, f"ok (heartbeat {age:.1f} s old)"

    def _web(self, url: str, options: dict[str, Any]) -> tuple[bool, str]:
        if urlsplit(url).scheme not in {"http", "https"}:
            return False, f"not an http(s) URL: {url}"
        timeout = options["timeout"] or float(settings.HEALTH_TIMEOUT_SECONDS) + 1
        request = urllib.request.Request(url, headers=self._host_header())  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310 # scheme checked above
                return response.status == 200, f"{response.status} {response.read(500)!r}"
        except urllib.error.HTTPError as error:
            return False, f"{error.code} {error.read(500)!r}"
        except (OSError, TimeoutError) as error:
            return False, f"不可达 / unreachable: {type(error).__name__}: {error}"

    def _host_header(self) -> dict[str, str]:
        """A Host the site accepts (production's ALLOWED_HOSTS may not list 127.0.0.1)."""
        for host in settings.ALLOWED_HOSTS:
            if host != "*" and not host.startswith("."):
                return {"Host": host}
        return {}
