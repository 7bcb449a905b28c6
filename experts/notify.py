"""Telling an expert they were drawn: a pluggable gateway (``EXPERT_GATEWAY``).

``ConsoleGateway`` (the default, and the demo's) logs that a message went out with the phone
number masked; ``MemoryGateway`` keeps an outbox (tests); an SMS provider is one more class
with ``send``. A gateway that fails raises ``GatewayUnavailable``: the seat stays called and
the next sweep sends again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class GatewayUnavailable(Exception):
    """The message could not be handed over; try again later."""


class Gateway(Protocol):
    def send(self, *, phone: str, text: str) -> None: ...


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


class ConsoleGateway:
    def send(self, *, phone: str, text: str) -> None:
        log.info("expert notified at %s: %s", masked(phone), text)


@dataclass(frozen=True)
class Message:
    phone: str
    text: str


class MemoryGateway:
    outbox: ClassVar[list[Message]] = []

    def send(self, *, phone: str, text: str) -> None:
        self.outbox.append(Message(phone, text))


def gateway() -> Gateway:
    chosen: Gateway = import_string(settings.EXPERT_GATEWAY)()
    return chosen
