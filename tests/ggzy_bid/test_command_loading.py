"""``ggzy-bid`` loads only the group of the command it runs (issue 14: sealing is timed as a
whole process, start-up included)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from ggzy_bid.cli import build_parser
from ggzy_bid.commands import COMMANDS, GROUP_NAMES, groups


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


def test_it_maps_every_command_to_the_group_that_registers_it() -> None:
    assert _commands(build_parser()) == set(COMMANDS)
    for command, group in COMMANDS.items():
        assert command in _commands(build_parser(command)), (command, group)
    assert set(COMMANDS.values()) == set(GROUP_NAMES)


def test_it_registers_every_group_for_help_or_an_unknown_command() -> None:
    assert len(groups(None)) == len(GROUP_NAMES)
    assert len(groups("--help")) == len(GROUP_NAMES)
    assert _commands(build_parser("no-such-command")) == set(COMMANDS)


def test_it_seals_and_unseals_without_importing_an_http_client() -> None:
    probe = (
        "import sys; from ggzy_bid.cli import build_parser; "
        "[build_parser(c) for c in ('seal', 'unseal', 'inspect')]; "
        "print(sorted(m for m in ('requests', 'urllib3', 'websockets') if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]"
