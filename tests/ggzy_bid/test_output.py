"""What a person reads: Beijing time with its zone, and error lines that never continue an
unfinished progress line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ggzy_bid import output, server
from ggzy_bid.cli import main
from ggzy_bid.errors import CLIError


def test_a_utc_time_from_the_platform_is_shown_in_beijing_time_with_the_zone() -> None:
    assert output.beijing("2026-11-30T10:00:00+00:00") == "2026-11-30 18:00:00 北京时间 (UTC+8)"


def test_milliseconds_are_kept_and_a_z_suffix_is_understood() -> None:
    assert output.beijing("2026-11-30T16:30:00.250Z") == "2026-12-01 00:30:00.250 北京时间 (UTC+8)"


def test_an_aware_datetime_in_another_zone_is_converted() -> None:
    moment = dt.datetime(2026, 11, 30, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert output.beijing(moment) == "2026-11-30 18:00:00 北京时间 (UTC+8)"


def test_text_that_is_not_a_time_is_shown_unchanged() -> None:
    assert output.beijing("") == ""
    assert output.beijing("soon") == "soon"


def test_an_error_after_a_progress_line_starts_on_a_line_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ggzy_bid.commands import submission

    def half_then_fail(*args: Any, progress: Any = None, **kwargs: Any) -> str:
        progress(50)
        raise CLIError("平台拒绝了请求", "the platform refused")

    monkeypatch.setattr(submission, "_sealed_for", lambda path: None)
    monkeypatch.setattr(submission, "_check_before_upload", lambda *args: None)
    monkeypatch.setattr(server, "upload", half_then_fail)
    bid = tmp_path / "bid.gbid"
    bid.write_bytes(b"x" * 100)

    code = main(["submit", str(bid), "--section", "S1", "--progress", "--server", "http://p.test"])

    assert code == 2
    err = capsys.readouterr().err
    progress_line, error_line, rest = err.split("\n")
    assert progress_line.startswith("\r上传 / uploading  50%")
    assert error_line == "错误：平台拒绝了请求 / error: the platform refused"
    assert rest == ""
