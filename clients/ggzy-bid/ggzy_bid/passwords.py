"""Where ``ggzy-bid`` gets a private-key password from, in order of precedence:

1. ``--password-file F`` (the first line of F, without its line ending);
2. the environment variable ``GGZY_KEY_PASSWORD``;
3. an interactive prompt (twice for a new key), only when stdin is a terminal.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from .errors import CLIError

ENV_VAR = "GGZY_KEY_PASSWORD"


def _from_file(path: str) -> bytes:
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise CLIError(
            f"无法读取密码文件 {path}（{exc.strerror}）",
            f"cannot read password file {path} ({exc.strerror})",
        ) from None
    first_line = text.splitlines()[0] if text else b""
    if not first_line:
        raise CLIError(f"密码文件 {path} 为空", f"password file {path} is empty")
    return first_line


def supplied_password(password_file: str | None) -> bytes | None:
    """A password given non-interactively (file or environment), or None."""
    if password_file:
        return _from_file(password_file)
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return from_env.encode("utf-8")
    return None


def _require_terminal() -> None:
    if not sys.stdin.isatty():
        raise CLIError(
            f"需要私钥密码：请使用 --password-file 或环境变量 {ENV_VAR}",
            f"a key password is needed: use --password-file or the {ENV_VAR} variable",
        )


def password_to_open(password_file: str | None, key_path: str) -> bytes:
    """The password for an existing encrypted key: supplied, or asked once."""
    supplied = supplied_password(password_file)
    if supplied is not None:
        return supplied
    _require_terminal()
    return getpass.getpass(f"私钥密码 / password for {key_path}: ").encode("utf-8")


def new_password(password_file: str | None) -> bytes:
    """The password for a new key: supplied, or asked twice and compared."""
    supplied = supplied_password(password_file)
    if supplied is not None:
        return supplied
    _require_terminal()
    first = getpass.getpass("新私钥密码 / new key password: ")
    if not first:
        raise CLIError(
            "密码不能为空（不加密请用 --no-password）",
            "the password must not be empty (use --no-password for an unencrypted key)",
        )
    second = getpass.getpass("再次输入 / repeat the password: ")
    if first != second:
        raise CLIError("两次输入的密码不一致", "the two passwords do not match")
    return first.encode("utf-8")
