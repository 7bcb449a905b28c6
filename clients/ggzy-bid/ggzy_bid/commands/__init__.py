"""The ``ggzy-bid`` command groups. Each module registers its subcommands on the parser;
a new group (seal, submit, ...) is a new module added to ``GROUPS``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from types import ModuleType

from . import digest, hall, keys, record, seal, signatures, signin, submission, unseal

Handler = Callable[[argparse.Namespace], int]

GROUPS: tuple[ModuleType, ...] = (
    keys,
    signatures,
    digest,
    seal,
    unseal,
    submission,
    signin,
    hall,
    record,
)
