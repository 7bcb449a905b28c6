"""Test helpers that keep tests honest.

Missing tools: outside CI a test that needs a tool this machine lacks (openssl, msgfmt,
poppler, Chromium, node, PostgreSQL, Redis, the installed console script) is skipped with the
reason; under ``CI=true`` it fails with the same reason — in CI a missing tool is a broken
pipeline, not a reason to go quiet. Use :func:`requires` as a marker (decided when the module
is imported) or :func:`require` inside a test or fixture (decided when it runs).

This module is also a pytest plugin (``tests/conftest.py`` registers it; ``-p tests.tools``
elsewhere): it turns the ``requires`` marker into a skip or a failure before each test, and
under CI it fails any other skip too, whatever raised it (a marker, a fixture, a library).

Refusals: :func:`nothing_changes` asserts that a block changes no row of the given models,
writes no ledger entry and stores no file — the point of most refusal tests.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

MARKER = "requires"
PLUGIN = "ggzy-tools"
_FALSE = {"", "0", "false", "no", "off"}


def in_ci() -> bool:
    """``CI`` set to anything but an explicit no (GitHub, GitLab and most runners set "true")."""
    return os.environ.get("CI", "").strip().lower() not in _FALSE


def missing(reason: str) -> NoReturn:
    """Skip outside CI, fail under CI; ``reason`` says what is missing and how to get it."""
    if in_ci():
        pytest.fail(f"CI is set and a test needs what is missing: {reason}", pytrace=False)
    # Reported at the test's location, not this line's (as a skipif marker is).
    raise pytest.skip.Exception(reason, _use_item_location=True)


def require(available: object, reason: str) -> None:
    """Inside a test or fixture: go on only if ``available`` is true (see :func:`missing`)."""
    if not available:
        missing(reason)


def requires(available: object, reason: str) -> pytest.MarkDecorator:
    """A marker for a test, class or module (``pytestmark``) that needs a tool:
    ``@requires(shutil.which("openssl"), "needs the openssl command")``."""
    return getattr(pytest.mark, MARKER)(available=bool(available), reason=reason)


# --- the plugin ---------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(available, reason): needs a tool; without it skipped outside CI, failed "
        "under CI (tests/tools.py)",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Every ``requires`` marker of the test (its own, its class's, its module's) holds."""
    for mark in item.iter_markers(MARKER):
        require(mark.kwargs["available"], mark.kwargs["reason"])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Under CI no test is skipped in silence: a skip fails, with its reason."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, and CI is set (in CI a skip hides a broken pipeline): {reason}"


# --- refusals -----------------------------------------------------------------------------------


def _state(models: tuple[type[Any], ...]) -> dict[str, Any]:
    from django.conf import settings

    from supervision.models import LedgerEntry

    media = Path(settings.MEDIA_ROOT)
    return {
        **{m.__name__: list(m._default_manager.order_by("pk").values()) for m in models},
        "ledger entries": list(LedgerEntry.objects.order_by("pk").values_list("pk", "action")),
        "files": sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())
        if media.exists()
        else [],
    }


@contextmanager
def nothing_changes(*models: type[Any]) -> Iterator[None]:
    """The block changes no row of ``models`` (none added, altered or removed), writes no
    ledger entry and stores no file. Put ``pytest.raises`` inside it:
    ``with nothing_changes(Section), pytest.raises(DomainError): ...``."""
    before = _state(models)
    yield
    assert _state(models) == before
