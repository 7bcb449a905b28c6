"""The world's archive objects, added at each stage (see world.py), and which object each
archive route names.

The world's own section never closes (it reaches evaluation at most), so each stage adds a
second section of the same project, cancelled as a draft and sealed at once: its archive is
what the download and "seal now" routes name. Sealed before any comparison of one and three
bids (test_nothing_before_the_deadline), its package is the same in both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from supervision.archive import services
from tests.trading.conftest import section_fields, upload
from trading import documents
from trading import services as trading_services

if TYPE_CHECKING:
    from tests.security.world import World


def _archived(world: World) -> dict[str, Any]:
    return {"code": world.extra["archived"].code}


OBJECTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "archive:download": _archived,
    "archive:seal": _archived,
}


def add(world: World) -> None:
    tenderee = world.people["tenderee"]
    assert tenderee is not None
    closed = trading_services.section_create(
        project=world.project, actor=tenderee, **section_fields(name="已终止标段")
    )
    documents.document_issue(section=closed, actor=tenderee, title="招标文件", upload=upload())
    trading_services.section_cancel(section=closed, actor=tenderee, reason="项目调整")
    services.archive_seal(section=closed, actor=None)
    services.archive_store(section_id=closed.pk)
    world.extra["archived"] = closed
