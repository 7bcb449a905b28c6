"""What the sealing machine says about itself, for the regulator's collusion checks.

[R40] deems bids colluding when, among other signs, they were prepared on the same machine
or carry the same file-creation id. These values are reported by the bidder's own machine,
so they are signals, not proof: an honest tool reports them, a determined cheat can forge
them. None of them reveals a secret: the machine id is hashed, MAC addresses are already
visible to every network the machine joins.
"""

from __future__ import annotations

import contextlib
import os
import subprocess  # nosec B404 # one fixed command (ioreg) on macOS, no input
import sys
import uuid
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from ..sm3 import SM3, sm3_hex
from .archive import ArchivePlan, plan_archive
from .manifest import ClientInfo

_MACHINE_LABEL = b"ggzy-bid/1 machine\x00"
_FILES_LABEL = b"ggzy-bid/1 file creation\x00"
_LINUX_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


def tool_version() -> str:
    try:
        return f"ggzy-bid {metadata.version('ggzy')}"
    except metadata.PackageNotFoundError:
        return "ggzy-bid (unpackaged)"


def _raw_machine_id() -> bytes:
    """The OS's stable machine id; the host name and a MAC address when there is none."""
    for name in _LINUX_MACHINE_ID_FILES:
        with contextlib.suppress(OSError):
            if value := Path(name).read_bytes().strip():
                return value
    if sys.platform == "win32":
        with contextlib.suppress(OSError, ImportError):
            import winreg

            with winreg.OpenKey(
                winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography"
            ) as key:
                return str(winreg.QueryValueEx(key, "MachineGuid")[0]).encode()
    if sys.platform == "darwin":
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(  # nosec B603 # fixed argv, no shell, nothing from input
                ["/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice"],
                capture_output=True, timeout=5, check=False,
            ).stdout  # fmt: skip
            for line in out.splitlines():
                if b"IOPlatformUUID" in line:
                    return line.split(b'"')[-2]
    return f"{os.uname().nodename if hasattr(os, 'uname') else ''}/{uuid.getnode():012x}".encode()


def machine_fingerprint() -> str:
    """SM3 (with a label) of the machine id: stable per machine, the raw id stays local."""
    return sm3_hex(_MACHINE_LABEL + _raw_machine_id())


def _format_mac(value: int) -> str:
    text = f"{value:012x}"
    return ":".join(text[i : i + 2] for i in range(0, 12, 2))


def mac_addresses() -> tuple[str, ...]:
    """MAC addresses of physical interfaces (Linux: those with a device behind them);
    elsewhere the one :func:`uuid.getnode` finds, unless it had to invent a random one."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        for interface in Path("/sys/class/net").iterdir():
            if not (interface / "device").exists():  # loopback, bridges, veth, tun ...
                continue
            with contextlib.suppress(OSError):
                address = (interface / "address").read_text().strip().lower()
                if len(address) == 17 and address != "00:00:00:00:00:00":
                    found.add(address)
    if not found:
        node = uuid.getnode()
        if not node & (1 << 40):  # the multicast bit marks a random stand-in
            found.add(_format_mac(node))
    return tuple(sorted(found))


def derive_file_creation_id(files: Sequence[Path]) -> str:
    """A UUID from the files' names, sizes and modification times.

    The same set of files gives the same id wherever it is sealed — a copy that keeps its
    times (zip, ``cp -p``, most sync tools) included — and any edit gives a new one. Used
    when no stored per-document id is given (see ``ggzy-bid seal``'s id file).
    """
    return file_creation_id_of(plan_archive(files))


def file_creation_id_of(plan: ArchivePlan) -> str:
    hasher = SM3(_FILES_LABEL)
    for entry in plan.entries:
        hasher.update(f"{entry.name}\x00{entry.size}\x00{entry.mtime}\x00".encode())
    raw = bytearray(hasher.digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80  # RFC 9562 version 8: "custom", here derived
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def collect_client_info(*, file_creation_id: str) -> ClientInfo:
    """This machine's fingerprint and MAC addresses, this tool's version, and the id."""
    return ClientInfo(
        machine_fingerprint=machine_fingerprint(),
        mac_addresses=mac_addresses(),
        file_creation_id=file_creation_id,
        tool_version=tool_version(),
    )


def new_file_creation_id() -> str:
    return str(uuid.uuid4())
