"""The archive of each closed section: one row per sealed package, append-only.

The package itself lives in storage under a name holding its SM3 (never overwritten); the
row says where, what it holds and until when it is kept. Rows are never changed or deleted:
the model refuses in Python, and on PostgreSQL a trigger refuses in the database [E49].
"""

from __future__ import annotations

from typing import Any, ClassVar

import pgtrigger
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Person
from trading.models import Section, SectionStatus

REFUSED = "电子档案封存后不可更改或删除 / A sealed archive cannot be changed or deleted"


class ArchiveImmutable(Exception):
    """An attempt to change or remove a sealed archive."""


class ArchiveQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ArchiveImmutable(REFUSED)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ArchiveImmutable(REFUSED)


class Archive(models.Model):
    section = models.OneToOneField(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="archive"
    )
    name = models.CharField(_("storage name"), max_length=255, unique=True)
    sm3 = models.CharField(_("SM3 of the package"), max_length=64)
    sha256 = models.CharField(_("SHA-256 of the package"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    files = models.PositiveIntegerField(_("files"))
    entries = models.PositiveIntegerField(_("ledger entries"))
    closed_as = models.CharField(_("closed as"), max_length=16, choices=SectionStatus.choices)
    key_fingerprint = models.CharField(_("platform key fingerprint"), max_length=64)
    sealed_at = models.DateTimeField(_("sealed at"))
    sealed_by = models.ForeignKey(
        Person,
        verbose_name=_("sealed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    retain_until = models.DateField(_("kept until"))

    objects: ClassVar[models.Manager] = ArchiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("archive")
        verbose_name_plural = _("archives")
        ordering = ["-sealed_at"]
        triggers = [
            pgtrigger.Protect(
                name="archive_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"archive of {self.section.code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ArchiveImmutable(REFUSED)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ArchiveImmutable(REFUSED)
