"""Publicity starts when the evaluation sets its result (filled in by award.services)."""
