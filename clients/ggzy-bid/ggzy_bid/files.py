"""File reading and writing for ``ggzy-bid``, with errors worded for the user."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ggzy_core.gm import sm2
from ggzy_core.gm.errors import WrongPassword

from .errors import CLIError
from .passwords import password_to_open, supplied_password


def _os_error(path: str, exc: OSError, zh_action: str, en_action: str) -> CLIError:
    reason = exc.strerror or exc.__class__.__name__
    return CLIError(
        f"无法{zh_action}文件 {path}（{reason}）", f"cannot {en_action} file {path} ({reason})"
    )


def read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _os_error(path, exc, "读取", "read") from None


@contextlib.contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """Open a file for streaming reads; ``-`` is standard input."""
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, error wording needs the split
    except OSError as exc:
        raise _os_error(path, exc, "读取", "read") from None
    with handle:
        yield handle


def refuse_existing(path: str, *, force: bool) -> None:
    """Fail early (before asking for a password) if ``path`` exists and --force is absent."""
    if not force and os.path.lexists(path):
        raise CLIError(
            f"文件 {path} 已存在，未覆盖（确需覆盖请加 --force）",
            f"{path} already exists and was not overwritten (use --force to replace it)",
        )


def write_bytes(path: str, data: bytes, *, private: bool = False, force: bool = True) -> None:
    """Write ``data``; ``private`` files get mode 0600 from creation, never wider."""
    refuse_existing(path, force=force)
    target = Path(path)
    mode = 0o600 if private else 0o644
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        # Write beside the target and rename: a crash never leaves half a key behind, and
        # O_EXCL with mode 0600 means the secret is never readable by others, even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, target)
        else:
            _link_without_replacing(tmp, target, path)
    except OSError as exc:
        raise _os_error(path, exc, "写入", "write") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _link_without_replacing(tmp: Path, target: Path, path: str) -> None:
    try:
        # link() fails if the target exists, atomically: no check-then-write race.
        os.link(tmp, target)
    except FileExistsError:
        raise CLIError(
            f"文件 {path} 已存在，未覆盖", f"{path} already exists and was not overwritten"
        ) from None
    except OSError:
        # File systems without hard links: fall back to a check, then rename.
        if os.path.lexists(target):
            raise CLIError(
                f"文件 {path} 已存在，未覆盖", f"{path} already exists and was not overwritten"
            ) from None
        os.replace(tmp, target)


def load_private_key(path: str, password_file: str | None) -> sm2.SM2PrivateKey:
    """Load a private key, asking for its password only if the file is encrypted."""
    data = read_bytes(path)
    password = supplied_password(password_file)
    try:
        return sm2.load_private_key(data, password)
    except WrongPassword:
        if password is not None:
            raise
    return sm2.load_private_key(data, password_to_open(password_file, path))


def load_public_key(path: str) -> sm2.SM2PublicKey:
    return sm2.load_public_key(read_bytes(path))
