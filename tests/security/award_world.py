"""The world's award objects, added at each stage (see world.py), and which object each
award route names.

The matrix world stops when the hall's record is signed: no section of it reaches the
candidate publicity, so every award page of its section is missing (404) for whoever may
ask, and the award-stage access is tested on a section that gets there in
tests/award/test_pages.py. The routes name the section and, where they take one, an
award, notice or objection id that does not exist in this world.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.security.world import World


def _code(world: World) -> dict[str, Any]:
    return {"code": world.section.code}


def _object(world: World) -> dict[str, Any]:
    return {"code": world.section.code, "pk": 1}


def _download(world: World) -> dict[str, Any]:
    return {"code": world.section.code, "pk": 1, "fmt": "json"}


OBJECTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "award:result": _code,
    "award:publicity": lambda world: {"code": world.section.code, "fmt": "json"},
    "award:objections": _code,
    "award:answer": _object,
    "award:manage": _code,
    "award:issue": _code,
    "award:decline": _object,
    "award:retender": _code,
    "award:contract": _code,
    "award:contract_file": _code,
    "award:award_download": _download,
    "award:notice_download": _download,
}


def add(world: World) -> None:
    """Nothing: the matrix world's section never reaches publicity (see the docstring)."""
