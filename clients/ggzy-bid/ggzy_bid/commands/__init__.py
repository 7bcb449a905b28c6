"""The ``ggzy-bid`` command groups. Each module registers its subcommands on the parser;
a new group (seal, submit, ...) is a new module added to ``GROUP_NAMES`` and its commands
to ``COMMANDS``."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from types import ModuleType

Handler = Callable[[argparse.Namespace], int]

GROUP_NAMES: tuple[str, ...] = (
    "keys",
    "signatures",
    "digest",
    "seal",
    "unseal",
    "submission",
    "signin",
    "hall",
    "record",
    "opening_key",
    "transparency",
)

COMMANDS: dict[str, str] = {
    "keygen": "keys",
    "pubkey": "keys",
    "sign": "signatures",
    "verify": "signatures",
    "digest": "digest",
    "seal": "seal",
    "inspect": "unseal",
    "unseal": "unseal",
    "login": "submission",
    "profiles": "submission",
    "submit": "submission",
    "withdraw": "submission",
    "receipt": "transparency",
    "time": "submission",
    "signin": "signin",
    "unlock": "hall",
    "confirm": "hall",
    "share": "hall",
    "record": "record",
    "opening-key": "opening_key",
    "log": "transparency",
}
"""Which group registers each command. Start-up time is part of every command (sealing a
bid is timed whole), and the groups that talk to the platform import an HTTP client."""


def groups(command: str | None = None) -> tuple[ModuleType, ...]:
    """The group that registers ``command``, or every group (for help, or a name that is
    not a command, so that argparse lists them all)."""
    names = (COMMANDS[command],) if command in COMMANDS else GROUP_NAMES
    return tuple(importlib.import_module(f"{__name__}.{name}") for name in names)
