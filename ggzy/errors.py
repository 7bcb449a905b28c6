"""The one domain error type: an illegal move, refused with a reason a person can read."""

from __future__ import annotations


class DomainError(Exception):
    """Raised by services. ``message`` is bilingual (Chinese / English); ``code`` is stable
    for clients; ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def as_dict(self) -> dict[str, str]:
        body = {"code": self.code, "detail": self.message}
        if self.field:
            body["field"] = self.field
        return body


def not_utf8(exc: UnicodeDecodeError, *, field: str = "file") -> DomainError:
    """An uploaded or imported text file that is not UTF-8: where, and what to do."""
    return DomainError(
        f"文件不是 UTF-8 编码（第 {exc.start} 字节），请另存为 UTF-8 / The file is not UTF-8 "
        f"(byte {exc.start}): save it as UTF-8 and import it again",
        code="invalid",
        field=field,
    )
