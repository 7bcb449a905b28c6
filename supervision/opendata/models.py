"""What the open-data feed serves: OCDS releases, written once and never changed."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from trading.models import Section


class Release(models.Model):
    """One OCDS 1.1 release of a section (an immutable snapshot of what was public then).

    ``order`` is the feed's change order: taken from ``FeedCounter`` under its row lock in
    the transaction that writes the release, so releases become visible in ``order`` and a
    reader paging with ``after=<order>`` never skips one committed late (docs/opendata.md).
    """

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="ocds_releases"
    )
    number = models.PositiveIntegerField(_("number within the section"))
    ocid = models.CharField(_("OCID"), max_length=120, db_index=True)
    release_id = models.CharField(_("release id"), max_length=160, unique=True)
    date = models.DateTimeField(_("release date"))
    tags = models.JSONField(_("tags"))
    content = models.BinaryField(_("release (canonical JSON)"))
    # SHA-256 of the release without id, date and tag: equal digests = nothing new to say.
    digest = models.CharField(_("content digest"), max_length=64)
    order = models.BigIntegerField(_("change order"), unique=True)

    class Meta:
        verbose_name = _("OCDS release")
        verbose_name_plural = _("OCDS releases")
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["section", "number"], name="one_release_per_number")
        ]

    def __str__(self) -> str:
        return self.release_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("an OCDS release is immutable: publish a new one")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("an OCDS release is never deleted")


class FeedCounter(models.Model):
    """The one row whose lock orders releases across sections (see ``Release.order``)."""

    value = models.BigIntegerField(_("last change order"), default=0)

    class Meta:
        verbose_name = _("feed counter")
        verbose_name_plural = _("feed counters")

    def __str__(self) -> str:
        return f"feed at {self.value}"
