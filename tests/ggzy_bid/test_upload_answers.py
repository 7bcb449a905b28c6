"""``ggzy-bid submit`` reads the platform's upload answers: a gone upload (410) says why,
a full storage (507) says that what was sent is kept and the same command resumes later."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import quote

import pytest
import requests

from ggzy_bid import server
from ggzy_bid.errors import EXIT_LATER, CLIError


def answer(status: int, headers: dict[str, str] | None = None, body: Any = None) -> Any:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = json.dumps(body).encode() if body is not None else b""
    return response


class Platform:
    """A scripted platform: answers in order, remembers what was asked."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        self.asked.append(method)
        return self.answers.pop(0)


CREATED = answer(201, {"Location": "/api/bids/uploads/u1", "Upload-Offset": "0"})


def send(platform: Platform) -> Any:
    return server.upload(
        platform,  # type: ignore[arg-type]  # the scripted platform answers like a Session
        io.BytesIO(b"x" * 100),
        length=100,
        section="S1",
        idempotency_key="k" * 32,
        chunk_size=40,
    )


def test_an_expired_upload_is_reported_with_the_platforms_bilingual_reason() -> None:
    reason = (
        "投标截止时该上传仍未完成 [E27] / The upload was not finished by the bid deadline [E27]"
    )
    platform = Platform(
        CREATED, answer(410, {"Ggzy-Refused": "expired", "Ggzy-Reason": quote(reason)})
    )
    with pytest.raises(CLIError) as caught:
        send(platform)
    line = caught.value.line()
    assert "expired" in line and "投标截止时该上传仍未完成" in line
    assert "not finished by the bid deadline" in line
    assert platform.asked == ["POST", "HEAD"]


def test_a_terminated_upload_answering_410_to_a_patch_stops_with_the_reason() -> None:
    platform = Platform(
        CREATED,
        answer(200, {"Upload-Offset": "0", "Upload-Length": "100"}),
        answer(
            410,
            body={
                "code": "terminated",
                "detail": "该上传已由本单位终止 / This upload was terminated",
            },
        ),
    )
    with pytest.raises(CLIError) as caught:
        send(platform)
    assert "terminated" in caught.value.en and "终止" in caught.value.zh


def test_a_full_storage_says_nothing_is_lost_and_to_resume_later() -> None:
    platform = Platform(
        CREATED,
        answer(200, {"Upload-Offset": "40", "Upload-Length": "100"}),
        answer(507, {"Upload-Offset": "40", "Retry-After": "300"}, {"code": "storage_full"}),
    )
    with pytest.raises(CLIError) as caught:
        send(platform)
    assert caught.value.exit_code == EXIT_LATER
    assert "40" in caught.value.en and "later" in caught.value.en and "resumes" in caught.value.en
    assert "稍后" in caught.value.zh
    assert platform.asked == ["POST", "HEAD", "PATCH"]


def test_the_session_does_not_resend_a_part_the_full_storage_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = server.Session(server.Server(url="http://platform.test"), sleep=lambda _: None)
    calls: list[str] = []

    def full(method: str, url: str, **kwargs: Any) -> Any:
        calls.append(method)
        return answer(507, {"Retry-After": "300"}, {"code": "storage_full"})

    monkeypatch.setattr(session._http, "request", full)
    assert session.request("PATCH", "/api/bids/uploads/u1").status_code == 507
    assert calls == ["PATCH"]
