"""Structured logs: one JSON object per line in production, a readable line with DEBUG.

Every record — ours through structlog, Django's, Celery's and daphne's through the standard
library — goes through the same processors (:func:`shared_processors`) and one
``structlog.stdlib.ProcessorFormatter`` configured in settings' ``LOGGING``. Each line carries
the process role (web, worker, beat, command), the process id and whatever the request,
websocket connection or task bound (``request_id``, ``user_id``, ``task_id``:
ggzy/observability/context.py). docs/security.md allows a user's id and, on refusal lines,
the username and address the refusal filter already writes; nothing else about a person.

Keys that look secret are masked before anything is rendered (:func:`redact_secrets`), the
same idea as the ledger's mask (supervision/ledger.py), restated here because the kernel
imports no app.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

# Same families as supervision.ledger.SECRET_KEY_PATTERN, plus what HTTP carries secrets in.
SECRET_KEY_PATTERN = re.compile(
    r"pass(word|phrase)?|secret|private|content_key|session_key|token|share|otp|pin$"
    r"|authorization|cookie|api_key|signature",
    re.IGNORECASE,
)
# A private key pasted into a message or an extra field, whatever its key is called.
PRIVATE_KEY_TEXT = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.DOTALL
)
MASK = "***"
# Standard-library extras that are objects, not data (Django's log_response passes the
# request), or internal markers (the refusal filter's).
_DROPPED_EXTRAS = frozenset({"request", "scope", "ggzy_refusal"})
ROLES = frozenset({"web", "worker", "beat", "command", "test"})


def process_role(argv: list[str] | None = None) -> str:
    """What this process is: ``GGZY_PROCESS_ROLE`` (compose and the cluster set it), else
    guessed from the command line."""
    configured = os.environ.get("GGZY_PROCESS_ROLE", "")
    if configured in ROLES:
        return configured
    args = sys.argv if argv is None else argv
    # The launcher's whole path: `python -m daphne` runs .../daphne/__main__.py.
    launcher = args[0] if args else ""
    words = set(args[1:])
    if "daphne" in launcher or "runserver" in words:
        return "web"
    if "celery" in launcher:
        return "beat" if "beat" in words else "worker"
    if "pytest" in launcher:
        return "test"
    # pytest-xdist's workers are started by execnet, not through a `pytest` launcher.
    if argv is None and os.environ.get("PYTEST_XDIST_WORKER"):
        return "test"
    return "command"


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    # Lines carry a small set of keys over and over: the pattern runs once per key.
    return SECRET_KEY_PATTERN.search(key) is not None


_SCALARS = (int, float, bool, type(None))


def _masked(value: Any) -> Any:
    if isinstance(value, str):  # the common case first: most values are short strings
        return PRIVATE_KEY_TEXT.sub(MASK, value) if "PRIVATE KEY-----" in value else value
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Mapping):
        return {
            key: MASK if _secret_key(str(key)) else _masked(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Masks every value whose key looks secret, at any depth, and private keys in text."""
    for key, value in event_dict.items():
        event_dict[key] = MASK if key != "event" and _secret_key(str(key)) else _masked(value)
    return event_dict


def drop_object_extras(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    for key in _DROPPED_EXTRAS:
        event_dict.pop(key, None)
    return event_dict


class _RoleAdder:
    """Adds the role and the process id, computed once per process (after a fork, again)."""

    def __init__(self) -> None:
        self._pid = -1
        self._role = ""

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        pid = os.getpid()
        if pid != self._pid:
            self._pid, self._role = pid, process_role()
        event_dict.setdefault("role", self._role)
        event_dict.setdefault("pid", pid)
        return event_dict


add_process_role = _RoleAdder()


def shared_processors() -> list[Processor]:
    """What every record goes through, ours and the standard library's alike."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        add_process_role,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        drop_object_extras,
        redact_secrets,
    ]


def formatter(*, json_lines: bool) -> structlog.stdlib.ProcessorFormatter:
    """The one formatter of ``LOGGING`` (a ``"()"`` factory): JSON lines or console lines."""
    renderer: Processor
    if json_lines:
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False, default=str)
        final: list[Processor] = [structlog.processors.format_exc_info, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
        final = [renderer]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared_processors()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )


def json_formatter() -> logging.Formatter:
    return formatter(json_lines=True)


def console_formatter() -> logging.Formatter:
    return formatter(json_lines=False)


def configure_structlog() -> None:
    """structlog's own loggers hand their event to the standard library, so that one
    configuration (settings' LOGGING) renders everything. Safe to call again."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _bind_task(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id, task=getattr(task, "name", None))


def _unbind_task(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()


def connect_task_context() -> None:
    """Bind each Celery task run's id and name (settings call it: every process, and the
    worker's prefork children inherit it)."""
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_bind_task, weak=False, dispatch_uid="ggzy.observability.bind_task")
    task_postrun.connect(_unbind_task, weak=False, dispatch_uid="ggzy.observability.unbind_task")
