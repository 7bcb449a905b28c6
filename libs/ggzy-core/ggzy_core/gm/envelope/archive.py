"""The body's plaintext: the bid's files as a POSIX.1-2001 (pax) tar stream.

Sealing needs the tar's exact size before the first byte is encrypted (the manifest, which
states it, is the AAD of every chunk), so the archive is planned first: one stat per file,
and the size follows from tarfile's own header encoding. A file that changes size while
it is being sealed is refused rather than sealed half-old, half-new.

Extraction trusts nothing in the archive, even though it was authenticated: the bidder
made it, and the hall unseals every bidder's envelope. Only regular files and directories
with relative, ``..``-free names are written, into a fresh directory, with O_EXCL.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import SealInputError, UnsafeArchive

# A file of this name in a bid folder holds the folder's file-creation id (client.py); it
# describes the folder, it is not part of the bid.
DOCUMENT_ID_FILE = ".ggzy-bid-id"
_ENCODING = "utf-8"
_COPY_SIZE = 1 << 20
_MAX_META_SIZE = 64 << 10  # pax / GNU long-name headers are read into memory by tarfile
_META_TYPES = (tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME)
_ALLOWED_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE, *_META_TYPES)
_TYPE_NAMES = {
    tarfile.SYMTYPE: ("符号链接", "a symbolic link"),
    tarfile.LNKTYPE: ("硬链接", "a hard link"),
    tarfile.CHRTYPE: ("字符设备", "a character device"),
    tarfile.BLKTYPE: ("块设备", "a block device"),
    tarfile.FIFOTYPE: ("管道", "a FIFO"),
}


@dataclass(frozen=True)
class ArchiveEntry:
    path: Path
    name: str  # relative, "/"-separated, as stored in the archive
    size: int
    mtime: int


@dataclass(frozen=True)
class ArchivePlan:
    entries: tuple[ArchiveEntry, ...]
    size: int  # exact byte length of the tar stream


def _refuse(zh: str, en: str) -> SealInputError:
    return SealInputError(zh, en)


def _check_component(name: str, path: Path) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse(f"文件名不是 UTF-8：{path}", f"file name is not UTF-8: {path}") from None
    if name in ("", ".", "..") or "\\" in name:
        raise _refuse(f"不支持的文件名：{path}", f"unsupported file name: {path}")


def _walk(path: Path, name: str) -> Iterator[ArchiveEntry]:
    _check_component(name.rsplit("/", 1)[-1], path)
    try:
        info = path.stat()  # follows a symlink to the file it names
    except OSError as exc:
        raise _refuse(
            f"无法读取 {path}（{exc.strerror}）", f"cannot read {path} ({exc.strerror})"
        ) from None
    if stat.S_ISREG(info.st_mode):
        yield ArchiveEntry(path, name, info.st_size, int(info.st_mtime))
    elif stat.S_ISDIR(info.st_mode) and not path.is_symlink():
        for child in sorted(path.iterdir(), key=lambda p: p.name):
            if child.name != DOCUMENT_ID_FILE:
                yield from _walk(child, f"{name}/{child.name}")
    else:
        raise _refuse(
            f"只能封装普通文件和文件夹：{path}",
            f"only regular files and folders can be sealed: {path}",
        )


def _tarinfo(entry: ArchiveEntry) -> tarfile.TarInfo:
    # Owner names and ids stay out: they would identify the preparer's account for nothing.
    info = tarfile.TarInfo(entry.name)
    info.size, info.mtime, info.mode = entry.size, entry.mtime, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def plan_archive(files: Sequence[Path]) -> ArchivePlan:
    """List the files (folders recursively, sorted) and compute the tar's exact size."""
    if not files:
        raise _refuse("没有要封装的文件", "no files to seal")
    entries: list[ArchiveEntry] = []
    for path in files:
        path = Path(path)
        top = path.name or path.resolve().name
        entries.extend(_walk(path, top))
    names = [e.name for e in entries]
    if duplicate := next((n for n in names if names.count(n) > 1), None):
        raise _refuse(f"有两个文件同名：{duplicate}", f"two files have the same name: {duplicate}")
    size = 0
    for entry in entries:
        header = _tarinfo(entry).tobuf(tarfile.PAX_FORMAT, _ENCODING, "strict")
        size += len(header) + -(-entry.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
    size += 2 * tarfile.BLOCKSIZE  # end-of-archive marker
    size = -(-size // tarfile.RECORDSIZE) * tarfile.RECORDSIZE  # tarfile pads to a record
    return ArchivePlan(tuple(entries), size)


class Sink(Protocol):
    def write(self, data: bytes | bytearray | memoryview, /) -> int: ...
    def tell(self) -> int: ...
    def read(self, size: int, /) -> bytes: ...
    def seek(self, pos: int, /) -> int: ...
    def close(self) -> None: ...


def _changed(entry: ArchiveEntry) -> SealInputError:
    return _refuse(
        f"文件在封装过程中被修改：{entry.path}", f"a file changed while it was sealed: {entry.path}"
    )


def write_archive(plan: ArchivePlan, sink: Sink) -> None:
    """Write the planned tar to ``sink``, byte for byte what ``tarfile`` in "w" mode writes
    (each header from tarfile itself, the data padded to 512 bytes, two zero blocks, zero
    padding to a 10 KiB record), but reading each file straight into one reused buffer:
    tarfile's copy allocates a new block per read. ``sink`` must copy what it is given."""
    buffer = memoryview(bytearray(_COPY_SIZE))
    written = 0
    for entry in plan.entries:
        header = _tarinfo(entry).tobuf(tarfile.PAX_FORMAT, _ENCODING, "strict")
        try:
            handle = open(entry.path, "rb", buffering=0)  # noqa: SIM115 - the error wording needs the split
        except OSError as exc:
            raise _refuse(
                f"无法读取 {entry.path}（{exc.strerror}）",
                f"cannot read {entry.path} ({exc.strerror})",
            ) from None
        with handle:
            if os.fstat(handle.fileno()).st_size != entry.size:
                raise _changed(entry)
            sink.write(header)
            remaining = entry.size
            while remaining:
                count = handle.readinto(buffer[: min(remaining, _COPY_SIZE)])
                if not count:  # the file shrank while it was read
                    raise _changed(entry)
                sink.write(buffer[:count])
                remaining -= count
            if os.fstat(handle.fileno()).st_size != entry.size:
                raise _changed(entry)
        padding = -entry.size % tarfile.BLOCKSIZE
        sink.write(bytes(padding))
        written += len(header) + entry.size + padding
    written += 2 * tarfile.BLOCKSIZE  # end-of-archive marker
    sink.write(bytes(2 * tarfile.BLOCKSIZE + -written % tarfile.RECORDSIZE))


# --- extraction --------------------------------------------------------------------------


class _StrictTarInfo(tarfile.TarInfo):
    """Refuses, as each header is read, what extraction would refuse anyway, before tarfile
    acts on it (it reads a pax header's whole body into memory, whatever its size)."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> _StrictTarInfo:
        if len(buf) == tarfile.BLOCKSIZE and bytes(buf).count(0) == tarfile.BLOCKSIZE:
            return super().frombuf(buf, encoding, errors)  # raises tarfile's end-of-archive signal
        try:
            info = super().frombuf(buf, encoding, errors)
        except tarfile.HeaderError as exc:
            # tarfile treats a bad header after the first as the end of the archive.
            raise UnsafeArchive(
                f"文件包已损坏（{exc}）", f"the archive inside is damaged ({exc})"
            ) from None
        if info.type not in _ALLOWED_TYPES:
            zh, en = _TYPE_NAMES.get(info.type, ("特殊文件", "a special file"))
            raise UnsafeArchive(
                f"文件包中含有{zh}（{info.name}），拒绝解包",
                f"the archive contains {en} ({info.name!r}); refused",
            )
        if info.type in _META_TYPES and info.size > _MAX_META_SIZE:
            raise UnsafeArchive(
                "文件包的扩展头过大", "an extended header in the archive is too large"
            )
        return info


def _safe_parts(name: str) -> list[str]:
    parts = name.split("/")
    bad = (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or (os.name == "nt" and ":" in name)
        or any(part in ("", ".", "..") for part in parts)
    )
    if bad:
        raise UnsafeArchive(
            f"文件包中的路径不安全：{name!r}（绝对路径或含 ..），拒绝解包",
            f"unsafe path in the archive: {name!r} (absolute or with ..); refused",
        )
    return parts


def extract_archive(stream: Sink, root: Path) -> list[str]:
    """Extract a tar stream into the empty directory ``root``; return the files' names."""
    names: list[str] = []
    seen: set[str] = set()
    # bufsize: tarfile's stream reads its source in pieces of this size; its default
    # (10 KiB) joins a hundred pieces for every 1 MiB read.
    with tarfile.open(
        fileobj=stream, mode="r|", tarinfo=_StrictTarInfo, encoding=_ENCODING, errors="strict",
        bufsize=_COPY_SIZE,
    ) as tar:  # fmt: skip
        for member in tar:
            parts = _safe_parts(member.name)
            if member.name in seen:
                raise UnsafeArchive(
                    f"文件包中有重复的路径：{member.name!r}",
                    f"duplicate path in the archive: {member.name!r}",
                )
            seen.add(member.name)
            target = root.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            if member.isdir():
                target.mkdir(exist_ok=True)
                continue
            source = tar.extractfile(member)
            if source is None:  # a regular member always has data; a damaged one may not
                raise tarfile.ReadError(f"member {member.name!r} has no data")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(target, flags, 0o644), "wb") as out:
                while block := source.read(_COPY_SIZE):
                    out.write(block)
            os.utime(target, (max(0, int(member.mtime)),) * 2)
            names.append(member.name)
        # Whatever follows the end-of-archive marker must be tar's zero padding: nothing
        # may hide in the body where extraction does not look.
        while rest := tar.fileobj.read(_COPY_SIZE):
            if rest.count(0) != len(rest):
                raise UnsafeArchive(
                    "文件包结束标记之后还有数据", "the archive has data after its end marker"
                )
    return names
