"""Talking to the platform: credentials, an HTTP session with retries, the tus upload.

Credentials (server URL and API token) come from ``--server``/``--token``, the environment
(``GGZY_SERVER``, ``GGZY_TOKEN``) or the file ``ggzy-bid login`` writes
(``~/.config/ggzy-bid/credentials.json``, mode 0600).
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

import requests

from .errors import EXIT_LATER, CLIError

CREDENTIALS = (
    Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    / "ggzy-bid"
    / "credentials.json"
)
TUS = {"Tus-Resumable": "1.0.0"}
RETRIES = 8
TIMEOUT = 120
# Answers that retrying at once cannot change: 507 (the platform's storage is full) asks the
# bidder to come back later; resending the part eight times would only add to the load.
FINAL = frozenset({507})


@dataclass(frozen=True)
class Server:
    url: str
    token: str = ""

    def endpoint(self, path: str) -> str:
        return self.url.rstrip("/") + path


def save_credentials(server: Server) -> Path:
    CREDENTIALS.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(CREDENTIALS, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"server": server.url, "token": server.token}, handle)
    return CREDENTIALS


def resolve(server: str | None, token: str | None) -> Server:
    stored: dict[str, str] = {}
    if CREDENTIALS.exists():
        stored = json.loads(CREDENTIALS.read_text())
    url = server or os.environ.get("GGZY_SERVER") or stored.get("server")
    if not url:
        raise CLIError("未指定平台地址", "no server: use --server, GGZY_SERVER or ggzy-bid login")
    return Server(url=url, token=token or os.environ.get("GGZY_TOKEN") or stored.get("token", ""))


class Session:
    """requests with the token, bilingual errors, and retries on transport failures."""

    def __init__(self, server: Server, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.server = server
        self._http = requests.Session()
        if server.token:
            self._http.headers["Authorization"] = f"Token {server.token}"
        self._sleep = sleep

    def request(
        self, method: str, path: str, *, retry: bool = True, **kwargs: Any
    ) -> requests.Response:
        attempts = RETRIES if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.request(
                    method, self.server.endpoint(path), timeout=TIMEOUT, **kwargs
                )
            except requests.ConnectionError as exc:
                if attempt == attempts:
                    raise CLIError(
                        "无法连接平台", f"cannot reach {self.server.url}: {exc}"
                    ) from exc
            else:
                if (
                    response.status_code < 500
                    or response.status_code in FINAL
                    or attempt == attempts
                ):
                    return response
            self._sleep(min(30.0, 0.5 * 2**attempt))
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        refuse_unless_ok(response)
        return response.json()


def refuse_unless_ok(response: requests.Response) -> None:
    if response.status_code < 400:
        return
    try:
        detail = response.json().get("detail", "")
    except ValueError:
        detail = response.text[:200]
    if response.status_code == 401:
        raise CLIError("未登录或令牌无效", f"not logged in or token invalid ({detail})")
    raise CLIError("平台拒绝", f"the platform refused (HTTP {response.status_code}): {detail}")


def _bilingual(reason: str) -> tuple[str, str]:
    """The server's "中文 / English" reason as (zh, en) for ``CLIError``."""
    zh, separator, en = reason.partition(" / ")
    return (zh, en) if separator else (reason, reason)


def _detail(response: requests.Response) -> str:
    try:
        return str(response.json().get("detail", ""))
    except ValueError:
        return ""


def _gone(code: str, reason: str) -> CLIError:
    """The upload ended on the server (terminated, expired at the deadline): nothing more
    can be sent to it."""
    zh, en = _bilingual(reason or code)
    return CLIError(f"上传已结束（{code}）：{zh}", f"the upload is over ({code}): {en}")


def _storage_full(response: requests.Response, offset: int) -> CLIError:
    retry = response.headers.get("Retry-After", "")
    kept = response.headers.get("Upload-Offset", str(offset))
    later = f" (~{retry} s)" if retry else ""
    return CLIError(
        f"平台存储空间暂时不足；已送达的 {kept} 字节已保留，请稍后重新运行同一命令续传",
        f"the platform's storage is full for now; the {kept} bytes already received are kept: "
        f"run the same command again later{later} and it resumes where it stopped",
        EXIT_LATER,
    )


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def upload(
    session: Session,
    source: BinaryIO,
    *,
    length: int,
    section: str,
    idempotency_key: str,
    replaces: str | None = None,
    chunk_size: int = 8 << 20,
    progress: Callable[[int], None] | None = None,
) -> str:
    """Upload resumably; return the bid's id (a UUID). A rerun with the same key continues where the
    server is, and a finished upload is not sent again."""
    metadata = f"section {_b64(section)},idempotency_key {_b64(idempotency_key)}"
    if replaces is not None:
        metadata += f",replaces {_b64(str(replaces))}"
    created = session.request(
        "POST",
        "/api/bids/uploads",
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata},
    )
    refuse_unless_ok(created)
    location = created.headers["Location"]
    offset = int(created.headers.get("Upload-Offset", "0"))
    while True:
        head = session.request("HEAD", location, headers=TUS)
        if head.status_code in (404, 410):
            raise _gone(
                head.headers.get("Ggzy-Refused", "gone"),
                unquote(head.headers.get("Ggzy-Reason", "")),
            )
        refuse_unless_ok(head)
        if "Ggzy-Bid" in head.headers:
            return head.headers["Ggzy-Bid"]
        if "Ggzy-Refused" in head.headers:
            raise CLIError("投标被拒绝", f"the upload was refused: {head.headers['Ggzy-Refused']}")
        offset = int(head.headers["Upload-Offset"])
        if progress:
            progress(offset)
        source.seek(offset)
        chunk = source.read(chunk_size)
        response = session.request(
            "PATCH",
            location,
            data=chunk,
            headers={
                **TUS,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        if response.status_code == 409:
            continue  # the server is elsewhere (a lost answer): ask again
        if response.status_code == 410:
            body = response.json() if response.content else {}
            raise _gone(body.get("code", "gone"), _detail(response))
        if response.status_code == 507:
            raise _storage_full(response, offset)
        refuse_unless_ok(response)
        if "Ggzy-Bid" in response.headers:
            if progress:
                progress(length)
            return response.headers["Ggzy-Bid"]
