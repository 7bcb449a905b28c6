"""The opening sheet (开标一览表): the few items read out at the opening (唱标).

It is encrypted as its own small part so the hall can read the price without decrypting
the large files. Amounts are decimal strings in yuan: binary floats cannot hold 0.10 exactly,
and a price read out in public must be exactly the one the bidder wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from .errors import MalformedEnvelope, SealInputError
from .manifest import MAX_SHEET_PLAINTEXT, SHEET_PADDING, canonical_json


@dataclass(frozen=True)
class SheetItem:
    """An item of the opening sheet that the platform knows by name and reads out [E30, L36]."""

    name: str
    zh: str
    en: str
    unit_zh: str = ""
    unit_en: str = ""

    def label(self, language: str = "zh") -> str:
        """The item as a column heading in one language: 报价（元） or Price (yuan)."""
        if language.startswith("zh"):
            return f"{self.zh}（{self.unit_zh}）" if self.unit_zh else self.zh
        heading = self.en[:1].upper() + self.en[1:]
        return f"{heading} ({self.unit_en})" if self.unit_en else heading


# The one list of the opening sheet's items (开标一览表): the tender may read out any of them;
# every other place — sections, the hall, the record, the demo, ggzy-bid — derives from it.
ITEMS: tuple[SheetItem, ...] = (
    SheetItem("price", "报价", "price", "元", "yuan"),
    SheetItem("duration_days", "工期", "duration", "日历天", "days"),
    SheetItem("quality", "质量", "quality"),
    SheetItem("project_manager", "项目经理", "project manager"),
    SheetItem("warranty", "质保期", "warranty"),
)
KNOWN_ITEMS: tuple[str, ...] = tuple(item.name for item in ITEMS)
# What a section reads out unless its tenderee chooses otherwise.
DEFAULT_READ_ITEMS: tuple[str, ...] = ("price", "duration_days", "quality", "project_manager")
# Items that are free text: checked to be non-empty strings when present.
TEXT_ITEMS: tuple[str, ...] = ("quality", "project_manager", "warranty")
# Up to 15 integer digits (less than 10^15 yuan) and at most 2 decimals (fen).
_PRICE = re.compile(r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?\Z")
_MAX_KEY = 64
_MAX_DEPTH = 4


def _refuse(zh: str, en: str) -> NoReturn:
    raise SealInputError(f"开标一览表无效：{zh}", f"invalid opening sheet: {en}")


def normalise_price(value: object) -> str:
    """A positive amount in yuan with at most 2 decimals, as a string with exactly 2."""
    if isinstance(value, bool | float):
        _refuse(
            '报价须写成字符串（如 "12345678.90"），不能是浮点数',
            'the price must be a decimal string such as "12345678.90", not a float',
        )
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str) or not _PRICE.match(value):
        _refuse(
            "报价必须是正数，最多两位小数，不含空格、正负号、逗号或指数",
            "the price must be a positive decimal with at most 2 decimal places "
            "(no spaces, signs, commas or exponents)",
        )
    try:
        amount = Decimal(value)
    except InvalidOperation:  # unreachable after the pattern, kept as a guard
        _refuse("报价不是数字", "the price is not a number")
    if amount <= 0:
        _refuse("报价必须大于零", "the price must be greater than zero")
    return f"{amount:.2f}"


def _item(value: object, path: str, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        _refuse(f"{path} 嵌套过深", f"{path} is nested too deeply")
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, float):
        _refuse(f"{path} 不能是浮点数，请写成字符串", f"{path} must not be a float: use a string")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_item(v, f"{path}[]", depth + 1) for v in value]
    if isinstance(value, Mapping):
        return {_key(k, path): _item(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
    _refuse(f"{path} 的类型不支持", f"{path} has an unsupported type {type(value).__name__}")


def _key(key: object, path: str) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= _MAX_KEY or not key.isprintable():
        _refuse(f"{path} 中有无效的项名", f"{path} has an invalid item name")
    return key


def normalise_sheet(sheet: Mapping[str, Any]) -> dict[str, Any]:
    """Check the sheet and return it in the form that is sealed.

    ``price`` is required; ``duration_days`` (positive integer) and the text items
    (``TEXT_ITEMS``: non-empty strings) are checked when present; any other item the
    section announces may be added (strings, integers, booleans, lists, objects; no floats).
    """
    if not isinstance(sheet, Mapping):
        _refuse("必须是 JSON 对象", "it must be a JSON object")
    if "price" not in sheet:
        _refuse("缺少报价（price）", "the price is missing")
    result: dict[str, Any] = {"price": normalise_price(sheet["price"])}
    result.update({_key(k, "sheet"): _item(v, k, 1) for k, v in sheet.items() if k != "price"})
    if "duration_days" in result:
        days = result["duration_days"]
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            _refuse(
                "工期（duration_days）必须是正整数天数", "duration_days must be a positive integer"
            )
    for name in TEXT_ITEMS:
        if name in result and (not isinstance(result[name], str) or not result[name].strip()):
            _refuse(f"{name} 必须是非空字符串", f"{name} must be a non-empty string")
    return result


def encode_sheet(sheet: Mapping[str, Any]) -> bytes:
    """Canonical JSON padded with spaces to a multiple of 1 KiB.

    The sheet's ciphertext length is visible to the server before the opening; unpadded,
    it would tell how many digits the price has.
    """
    data = canonical_json(normalise_sheet(sheet))
    if len(data) > MAX_SHEET_PLAINTEXT:
        _refuse(f"超过 {MAX_SHEET_PLAINTEXT} 字节", f"larger than {MAX_SHEET_PLAINTEXT} bytes")
    return data + b" " * (-len(data) % SHEET_PADDING)


def decode_sheet(data: bytes) -> dict[str, Any]:
    """Parse an authenticated sheet; a bidder's hand-made envelope is checked like ours."""
    try:
        value = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[…"
        raise MalformedEnvelope(
            "开标一览表内容不是合法的 JSON", "the opening sheet is not valid JSON"
        ) from None
    try:
        return normalise_sheet(value)
    except SealInputError as exc:
        raise MalformedEnvelope(exc.zh, exc.en) from None
