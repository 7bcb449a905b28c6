"""Talking to the platform: credentials, an HTTP session with retries, the tus upload.

Credentials (server URL and API token) come from ``--server``/``--token``, else a saved login.
Saved logins are *profiles* (several companies, several servers on one machine), written by
``ggzy-bid login [--profile NAME]`` with mode 0600 under ``~/.config/ggzy-bid/``:

* the default profile is ``credentials.json`` (the one file earlier versions wrote, read as
  before);
* a named profile is ``profiles/NAME.json``, chosen with ``--profile NAME`` or ``GGZY_PROFILE``.

With the default profile, ``GGZY_SERVER`` / ``GGZY_TOKEN`` override the saved values (as
before). A named profile is used whole: its server and token belong together, and an
environment variable left over from another company must not mix into it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

import requests

from .environment import PROFILE_ENV as PROFILE_ENV  # callers name it through this module
from .errors import EXIT_LATER, CLIError

DEFAULT_PROFILE = "default"
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
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
    profile: str = DEFAULT_PROFILE

    def endpoint(self, path: str) -> str:
        return self.url.rstrip("/") + path


def config_dir() -> Path:
    # Read at call time: XDG_CONFIG_HOME may change between runs in one process (tests).
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ggzy-bid"


def profile_name(name: str | None) -> str:
    """The profile asked for (``--profile``, else ``GGZY_PROFILE``, else the default)."""
    chosen = name or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
    if not _PROFILE_NAME.match(chosen):
        raise CLIError(
            f"配置名 {chosen!r} 无效：只能用字母、数字、_ . -（最多 64 个字符）",
            f"invalid profile name {chosen!r}: letters, digits, _ . - only (at most 64)",
        )
    return chosen


def profile_path(name: str) -> Path:
    if name == DEFAULT_PROFILE:
        return config_dir() / "credentials.json"
    return config_dir() / "profiles" / f"{name}.json"


def save_credentials(server: Server, *, username: str = "") -> Path:
    path = profile_path(server.profile)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"server": server.url, "token": server.token, "username": username}, handle)
    return path


def load_profile(name: str) -> dict[str, str] | None:
    path = profile_path(name)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CLIError(
            f"无法读取已保存的登录 {path}（{exc}）：请重新运行 ggzy-bid login",
            f"cannot read the saved login {path} ({exc}): run ggzy-bid login again",
        ) from None
    return stored if isinstance(stored, dict) else None


def profiles() -> list[tuple[str, dict[str, str]]]:
    """Every saved login, the default first, then the named ones by name."""
    found = []
    if (default := load_profile(DEFAULT_PROFILE)) is not None:
        found.append((DEFAULT_PROFILE, default))
    folder = config_dir() / "profiles"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if _PROFILE_NAME.match(path.stem) and (stored := load_profile(path.stem)) is not None:
            found.append((path.stem, stored))
    return found


def resolve(server: str | None, token: str | None, profile: str | None = None) -> Server:
    name = profile_name(profile)
    stored = load_profile(name)
    if name == DEFAULT_PROFILE:
        url = server or os.environ.get("GGZY_SERVER") or (stored or {}).get("server")
        token = token or os.environ.get("GGZY_TOKEN") or (stored or {}).get("token", "")
    else:
        if stored is None and not (server and token):
            raise CLIError(
                f"没有名为 {name} 的已保存登录：请先运行 ggzy-bid login --profile {name} "
                "--server URL --username 用户名（ggzy-bid profiles 列出已保存的登录）",
                f"no saved login named {name}: run ggzy-bid login --profile {name} --server URL "
                "--username NAME first (ggzy-bid profiles lists the saved logins)",
            )
        url = server or (stored or {}).get("server")
        token = token or (stored or {}).get("token", "")
    if not url:
        raise CLIError(
            "未指定平台地址：请先运行 ggzy-bid login --server URL --username 用户名，"
            "或使用 --server / 环境变量 GGZY_SERVER",
            "no server: run ggzy-bid login --server URL --username NAME first, or use --server "
            "or GGZY_SERVER",
        )
    return Server(url=url, token=token or "", profile=name)


class Session:
    """requests with the token, bilingual errors, and retries on transport failures."""

    def __init__(
        self,
        server: Server,
        *,
        sleep: Callable[[float], None] = time.sleep,
        retries: int = RETRIES,
        timeout: float = TIMEOUT,
    ) -> None:
        self.server = server
        self._http = requests.Session()
        if server.token:
            self._http.headers["Authorization"] = f"Token {server.token}"
        self._sleep = sleep
        self._retries = retries
        self._timeout = timeout

    def request(
        self, method: str, path: str, *, retry: bool = True, **kwargs: Any
    ) -> requests.Response:
        attempts = self._retries if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.request(
                    method, self.server.endpoint(path), timeout=self._timeout, **kwargs
                )
            except requests.ConnectionError as exc:
                if attempt == attempts:
                    raise CLIError(
                        f"无法连接平台 {self.server.url}，请检查网络和平台地址后重试",
                        f"cannot reach {self.server.url} ({exc.__class__.__name__}): check the "
                        "network and the server address, then run the same command again",
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

    def json(self, method: str, path: str, *, context: str = "", **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        refuse_unless_ok(response, context=context)
        return response.json()


def refuse_unless_ok(response: requests.Response, *, context: str = "") -> None:
    """Raise the platform's refusal as it worded it ("中文 / English"), never a bare status.

    ``context`` (e.g. the hall's stage) is added in both languages when the caller knows it.
    """
    if response.status_code < 400:
        return
    raise refusal(response, context=context)


def refusal(response: requests.Response, *, context: str = "") -> CLIError:
    detail = _detail(response)
    if not detail:
        detail = _STATUS_WORDS.get(response.status_code, "")
    zh, en = _bilingual(detail) if detail else ("平台拒绝了请求", "the platform refused")
    if response.status_code == 401:
        zh = f"未登录或登录已过期（{zh}）：请运行 ggzy-bid login 重新登录"
        en = f"not logged in or the login expired ({en}): run ggzy-bid login again"
    if context:
        czh, cen = _bilingual(context)
        zh, en = f"{zh}（{czh}）", f"{en} ({cen})"
    return CLIError(zh, en)


# When the platform gives no reason (a proxy answered, or a plain framework error page).
_STATUS_WORDS = {
    403: "无权执行此操作 / you are not allowed to do this",
    404: "未找到（地址、标段编号或投标编号有误，或您无权查看）/ not found (check the address, the "
    "section code or the bid id; or you may not see it)",
    405: "平台不支持此操作，请升级 ggzy-bid / the platform does not support this: upgrade ggzy-bid",
    409: "当前阶段不能执行此操作 / not possible at this stage",
    413: "请求过大 / the request is too large",
    429: "请求过于频繁，请稍后再试 / too many requests: try again in a minute",
    500: "平台内部错误，请稍后重试或联系交易中心 / the platform failed: try again later or call the "
    "trading centre",
    502: "平台暂时不可用，请稍后重试 / the platform is unavailable: try again later",
    503: "平台暂时不可用，请稍后重试 / the platform is unavailable: try again later",
}


def _bilingual(reason: str) -> tuple[str, str]:
    """The server's "中文 / English" reason as (zh, en) for ``CLIError``."""
    zh, separator, en = reason.partition(" / ")
    return (zh, en) if separator else (reason, reason)


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail
    # DRF's field errors: {"field": ["reason", ...]}: the first reason, named by its field.
    for field, reasons in body.items():
        if isinstance(reasons, list) and reasons:
            return f"{field}: {reasons[0]}"
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
            reason = unquote(head.headers.get("Ggzy-Reason", "")) or head.headers["Ggzy-Refused"]
            zh, en = _bilingual(reason)
            raise CLIError(f"投标被拒绝：{zh}", f"the bid was refused: {en}")
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
