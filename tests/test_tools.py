"""tests/tools.py: a missing tool skips a test outside CI and fails it under CI=true, and under
CI no other skip goes by in silence either."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.models import Person
from supervision import ledger
from tests import tools

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

SUITE = """
import pytest
from tests import tools

HERE = tools.requires(True, "always here")
MISSING = "needs the frobnicator (apt-get install frobnicator)"

@HERE
def test_with_what_it_needs():
    pass

@tools.requires(False, MISSING)
def test_marked_with_a_missing_tool():
    raise AssertionError("never runs without its tool")

def test_requiring_a_missing_tool_as_it_runs():
    tools.require(None, MISSING)
    raise AssertionError("never runs without its tool")

@pytest.mark.skipif(True, reason="a plain skipif")
def test_skipped_the_old_way():
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_to_fail():
    assert False
"""


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str) -> pytest.RunResult:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_suite=SUITE)
    return pytester.runpytest_subprocess(
        "-p", "tests.tools", "-p", "no:django", "-p", "no:cacheprovider", "-rsf"
    )


@pytest.mark.parametrize("ci", ["", "false"])
def test_outside_ci_a_missing_tool_skips_with_its_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    result = run(pytester, monkeypatch, ci)
    result.assert_outcomes(passed=1, skipped=3, xfailed=1)
    result.stdout.fnmatch_lines(["*needs the frobnicator (apt-get install frobnicator)*"])


def test_under_ci_a_missing_tool_fails_with_its_reason_and_no_test_is_skipped(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(pytester, monkeypatch, "true")
    # Markers are checked in setup (reported as errors), require() in the test (a failure).
    result.assert_outcomes(passed=1, failed=1, errors=2, xfailed=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*CI is set*needs the frobnicator*"])
    result.stdout.fnmatch_lines(["*skipped, and CI is set*a plain skipif*"])
    result.stdout.no_fnmatch_line("*skipped*test_with_what_it_needs*")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("yes", True), ("", False), ("false", False), ("0", False)],
)
def test_ci_is_any_value_but_an_explicit_no(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("CI", value)
    assert tools.in_ci() is expected


def test_ci_unset_is_not_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert tools.in_ci() is False


@pytest.mark.django_db
def test_nothing_changes_notices_an_altered_row(owner: Person) -> None:
    with pytest.raises(AssertionError), tools.nothing_changes(Person):
        Person.objects.filter(pk=owner.pk).update(display_name="改过的名字")


@pytest.mark.django_db
def test_nothing_changes_notices_a_ledger_entry(owner: Person) -> None:
    with pytest.raises(AssertionError), tools.nothing_changes():
        ledger.append("tests.something", actor=owner, target=owner, data={})


@pytest.mark.django_db
def test_nothing_changes_notices_a_stored_file() -> None:
    with pytest.raises(AssertionError), tools.nothing_changes():
        default_storage.save("stray.txt", ContentFile(b"stray"))


@pytest.mark.django_db
def test_nothing_changes_lets_a_block_that_only_reads_pass(owner: Person) -> None:
    with tools.nothing_changes(Person):
        assert Person.objects.get(pk=owner.pk).username == "owner"
