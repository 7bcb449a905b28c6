"""Names of the environment variables the tool reads, in a module that imports nothing, so
that the help text can name them without loading the HTTP client."""

from __future__ import annotations

PROFILE_ENV = "GGZY_PROFILE"
PASSWORD_ENV = "GGZY_PASSWORD"  # noqa: S105  # nosec B105 # the variable's name, not a password
