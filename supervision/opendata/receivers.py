"""Releases follow public changes (filled in by the open-data part)."""
