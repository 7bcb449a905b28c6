"""``seal``: seal the bid's files and opening sheet into a ``.gbid`` envelope.

The envelope is streamed to a temporary file beside the output and renamed at the end, so
an interrupted run never leaves a half envelope under the final name.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from ggzy_core.gm.envelope import (
    OPENING_ROLE,
    Recipient,
    collect_client_info,
    derive_file_creation_id,
    new_file_creation_id,
    seal,
)
from ggzy_core.gm.envelope.archive import DOCUMENT_ID_FILE
from ggzy_core.gm.envelope.manifest import DEFAULT_CHUNK_SIZE

from .. import files, output
from ..environment import PROFILE_ENV
from ..errors import EXIT_OK, CLIError
from ..passwords import ENV_VAR
from .envelope_support import ProgressBar, bilingual_errors, publish, temporary_beside

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "seal",
        help="封装加密投标文件 / seal a bid (.gbid)",
        description=(
            "Seal FILES (folders recursively) and the opening sheet into an encrypted, signed "
            "envelope that only the bidder's key and the section's opening key can open. "
            f"Recorded for the collusion check [R40]: a per-document id, kept in the hidden "
            f"file {DOCUMENT_ID_FILE} in the files' common folder, this machine's fingerprint "
            "(SM3 of its machine id) and MAC addresses; ggzy-bid inspect shows them. When a "
            "login is saved (ggzy-bid login), seal first asks the platform whether the key is "
            "bound to your organisation and warns if not (--offline: do not ask)."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="files or folders of the bid")
    parser.add_argument("--section-id", required=True, type=_positive_int, metavar="N")
    parser.add_argument("--section-code", required=True, metavar="CODE", help="标段编号")
    parser.add_argument(
        "--credit-code", required=True, metavar="CODE", help="统一社会信用代码 of the bidder"
    )
    parser.add_argument("--key", required=True, metavar="KEY.pem", help="bidder's SM2 private key")
    parser.add_argument(
        "--opening-key", required=True, metavar="PUB.pem", help="the section's opening public key"
    )
    parser.add_argument(
        "--sheet", required=True, metavar="sheet.json", help="opening sheet (开标一览表) as JSON"
    )
    parser.add_argument("--out", required=True, metavar="bid.gbid", help="envelope to write")
    parser.add_argument("--password-file", metavar="F", help=f"key password file (or ${ENV_VAR})")
    parser.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=DEFAULT_CHUNK_SIZE,
        metavar="BYTES",
        help=f"plaintext bytes per encrypted chunk (default {DEFAULT_CHUNK_SIZE})",
    )
    parser.add_argument("--progress", action="store_true", help="show progress on stderr")
    parser.add_argument("--force", action="store_true", help="replace an existing --out file")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="do not ask the platform whether the key is bound (asked when a login is saved)",
    )
    parser.add_argument(
        "--profile", metavar="NAME", help=f"the saved login to check with (or ${PROFILE_ENV})"
    )
    parser.set_defaults(handler=run_seal)


def read_sheet(path: str) -> dict[str, Any]:
    try:
        # Decimal, not float: "price": 12345678.90 must stay exactly that.
        value = json.loads(files.read_bytes(path).decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CLIError(
            f"开标一览表 {path} 不是合法的 JSON（{exc}）",
            f"the sheet {path} is not valid JSON ({exc})",
        ) from None
    if not isinstance(value, dict):
        raise CLIError(
            f"开标一览表 {path} 必须是 JSON 对象", f"the sheet {path} must be a JSON object"
        )
    return value


def _document_folder(inputs: list[Path]) -> Path:
    places = [p.resolve() if p.is_dir() else p.resolve().parent for p in inputs]
    return Path(os.path.commonpath(places))


def kept_file_creation_id(inputs: list[Path]) -> str | None:
    """The document's id from its id file, created on first use; None if it cannot be kept
    (then the id is derived from the files' names, sizes and times)."""
    id_file = _document_folder(inputs) / DOCUMENT_ID_FILE
    with contextlib.suppress(OSError):
        text = id_file.read_text(encoding="ascii").strip()
        if _UUID.match(text):
            return text
    new_id = new_file_creation_id()
    try:
        fd = os.open(id_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:
        return None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(new_id + "\n")
    return new_id


def _refuse_output_among_inputs(target: Path, inputs: list[Path]) -> None:
    resolved = target.resolve()
    for path in inputs:
        source = path.resolve()
        if resolved == source or (path.is_dir() and source in resolved.parents):
            raise CLIError(
                f"输出文件 {target} 不能在要封装的文件或文件夹中",
                f"the output {target} must not be inside the files being sealed",
            )


def run_seal(args: argparse.Namespace) -> int:
    files.refuse_existing(args.out, force=args.force)
    target = Path(args.out)
    inputs = [Path(p) for p in args.files]
    for path in inputs:
        if not path.exists():
            raise CLIError(f"文件 {path} 不存在", f"{path} does not exist")
    _refuse_output_among_inputs(target, inputs)
    sheet = read_sheet(args.sheet)
    opening_key = files.load_public_key(args.opening_key)
    signing_key = files.load_private_key(args.key, args.password_file)
    if not args.offline:
        warn_if_not_bound(
            signing_key.public_key().fingerprint(), args.credit_code.strip().upper(), args.profile
        )
    tmp = temporary_beside(target)
    try:
        with bilingual_errors():
            file_creation_id = kept_file_creation_id(inputs) or derive_file_creation_id(inputs)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "wb") as out:
                result = seal(
                    out=out,
                    files=inputs,
                    sheet=sheet,
                    section_id=args.section_id,
                    section_code=args.section_code,
                    bidder_credit_code=args.credit_code.strip().upper(),
                    signing_key=signing_key,
                    recipients=[Recipient(OPENING_ROLE, opening_key)],
                    client=collect_client_info(file_creation_id=file_creation_id),
                    chunk_size=args.chunk_size,
                    progress=ProgressBar.wanted("封装 / sealing", forced=args.progress),
                )
                out.flush()
                os.fsync(out.fileno())
        publish(tmp, target, force=args.force)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise CLIError(
            f"无法写入 {target}（{reason}）", f"cannot write {target} ({reason})"
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    manifest = result.manifest
    output.say(f"投标文件已封装 / sealed bid written: {target}")
    output.say(f"SM3: {result.sm3}")
    output.say(f"大小 / size: {result.size} bytes")
    output.say(f"标段 / section: {manifest.section_id} ({manifest.section_code})")
    for recipient in manifest.recipients:
        output.say(f"接收方 / recipient: {recipient.role:8} {recipient.key_fingerprint}")
    output.say(f"文件创建标识 / file creation id: {manifest.client.file_creation_id}")
    output.notice(
        f"本次封装在投标文件中记录了本机指纹（机器标识的 SM3）、网卡 MAC 地址和文件创建标识，并在被封装"
        f"文件所在的文件夹写入隐藏文件 {DOCUMENT_ID_FILE} 以保持该标识；平台据此检查串通投标迹象"
        "（不同投标人的投标出自同一台电脑或同一份文件）[R40]；用 ggzy-bid inspect 投标文件 查看"
        "记录的内容",
        "sealing recorded this machine's fingerprint (SM3 of its machine id), its MAC addresses "
        f"and a file-creation id in the bid, and keeps that id in the hidden file "
        f"{DOCUMENT_ID_FILE} in the folder of the files sealed; the platform compares them across bidders "
        "to detect collusion (bids of different bidders made on one machine or from one "
        "file) [R40]; ggzy-bid inspect BID.gbid shows what was recorded",
    )
    return EXIT_OK


def warn_if_not_bound(fingerprint: str, credit_code: str, profile: str | None) -> None:
    """Ask the platform, when a login is at hand, whether this key may sign for this
    organisation; warn (never refuse: the key may be bound before the upload) if not. A
    sealing machine may be offline on purpose: one short try, then a warning."""
    from .. import bound_keys, server  # the HTTP client: only when a login may be asked

    try:
        login = server.resolve(None, None, profile)
    except CLIError:
        return  # no saved login: nothing to ask with
    session = server.Session(login, retries=1, timeout=10)
    try:
        found = bound_keys.problem(session, fingerprint, credit_code)
    except CLIError as exc:
        output.warn(
            f"无法向平台核对签名密钥是否已绑定（{exc.zh}）；上传时平台会再检查",
            f"could not ask the platform whether the signing key is bound ({exc.en}); the "
            "platform checks it again at upload",
        )
        return
    if found is not None:
        output.warn(f"{found.zh}（仍继续封装）", f"{found.en} (sealing anyway)")
