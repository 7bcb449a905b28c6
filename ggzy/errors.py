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
