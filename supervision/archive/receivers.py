"""Archiving follows a section closing (filled in by the archive part)."""
