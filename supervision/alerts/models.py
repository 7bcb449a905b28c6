"""The alerts tables (top floor: may reference any app's models)."""

from __future__ import annotations
