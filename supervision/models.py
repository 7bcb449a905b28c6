"""The audit ledger's tables. Imports no other app (architecture: ground floor).

Entries and checkpoints are append-only: the model refuses updates and deletes in Python,
and on PostgreSQL a trigger refuses them in the database [E49]. Tampering that bypasses
both (a superuser disabling the trigger) is caught by the SM3 hash chain and the signed
checkpoints (``manage.py verify_ledger``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pgtrigger
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An attempt to change or remove a ledger row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The ledger is append-only / 审计日志只能追加: update refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The ledger is append-only / 审计日志只能追加: delete refused")


class AppendOnlyModel(models.Model):
    objects: ClassVar[models.Manager] = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(
                f"The ledger is append-only / 审计日志只能追加: {type(self).__name__} "
                f"{self.pk} cannot be changed"
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(
            f"The ledger is append-only / 审计日志只能追加: {type(self).__name__} "
            f"{self.pk} cannot be deleted"
        )


class LedgerEntry(AppendOnlyModel):
    sequence = models.BigIntegerField(_("sequence"), primary_key=True)
    recorded_at = models.DateTimeField(_("recorded at"), db_index=True)
    actor_person_id = models.BigIntegerField(
        _("actor person ID"), null=True, blank=True, db_index=True
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    actor_organisation = models.CharField(
        _("actor organisation"), max_length=18, blank=True, db_index=True
    )
    actor_role = models.CharField(_("actor role"), max_length=32, blank=True)
    network_address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target ID"), max_length=100, blank=True)
    data = models.JSONField(_("data"), default=dict)
    # The embargo scope (e.g. "trading.section:12"): while that scope is sealed
    # (``LedgerEmbargo``) the entry is hidden from every reading view (admin, portal): who
    # has bid must stay secret until the deadline [E21, E27]. A scope, not a time, so that
    # moving the deadline moves the embargo [R21]. Part of the hash; blank: no embargo.
    embargo = models.CharField(_("embargo"), max_length=100, blank=True, default="", db_index=True)
    previous_hash = models.CharField(_("previous hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        triggers = [
            pgtrigger.Protect(
                name="ledger_entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        # No sequence number: shown in admin, it would count the embargoed entries.
        return f"{self.action} {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class LedgerCheckpoint(AppendOnlyModel):
    """The platform key's signature over the chain head at one sequence number."""

    sequence = models.BigIntegerField(_("sequence"), primary_key=True)
    entry_hash = models.CharField(_("entry hash"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64)
    signature = models.BinaryField(_("signature"))

    class Meta:
        verbose_name = _("ledger checkpoint")
        verbose_name_plural = _("ledger checkpoints")
        ordering = ["sequence"]
        triggers = [
            pgtrigger.Protect(
                name="ledger_checkpoint_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.signed_at:%Y-%m-%d %H:%M:%S}"


class LedgerHead(models.Model):
    """One row: the chain's last sequence and hash. Appenders lock it to stay in line."""

    id = models.PositiveSmallIntegerField(_("ID"), primary_key=True, default=1)
    sequence = models.BigIntegerField(_("sequence"), default=0)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    class Meta:
        verbose_name = _("ledger head")
        verbose_name_plural = _("ledger heads")

    def __str__(self) -> str:
        return f"head #{self.sequence}"


class LedgerEmbargo(models.Model):
    """Until when the entries of one embargo scope stay hidden. Mutable on purpose: the
    owner of the scope (trading, for a section) moves it with the deadline, in the same
    transaction [R21]. An entry whose scope has no row here stays hidden (fail closed)."""

    scope = models.CharField(_("scope"), max_length=100, primary_key=True)
    until = models.DateTimeField(_("until"), db_index=True)

    class Meta:
        verbose_name = _("ledger embargo")
        verbose_name_plural = _("ledger embargoes")

    def __str__(self) -> str:
        return f"{self.scope} until {self.until:%Y-%m-%d %H:%M:%S}"


# The transparency log (docs/ledger.md, "The transparency log"): a Merkle tree (RFC 9162,
# SM3) over the *published* entries in publication order, beside the chain. Only the head
# producer (supervision/transparency/producer.py) writes these tables, under the lock of
# ``LedgerTreeState``.


class LedgerLeaf(AppendOnlyModel):
    """An entry's place in the public tree. Leaf index, not sequence: before a deadline
    the embargoed entries are not leaves, so an index never counts them [E21]."""

    index = models.BigIntegerField(_("leaf index"), primary_key=True)
    entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="leaf", verbose_name=_("entry")
    )
    # Hex SM3 of the entry's public record (ggzy_core.tree_head.entry_leaf_hash). Not
    # unique: two entries of one append may carry the same public record.
    leaf_hash = models.CharField(_("leaf hash"), max_length=64, db_index=True)

    class Meta:
        ordering = ["index"]
        triggers = [
            pgtrigger.Protect(
                name="ledger_leaf_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]
        verbose_name = _("ledger tree leaf")
        verbose_name_plural = _("ledger tree leaves")

    def __str__(self) -> str:
        return f"leaf {self.index}"


class LedgerTreeNode(AppendOnlyModel):
    """The hash of one complete subtree: leaves [index·2^level, (index+1)·2^level). A
    complete subtree never changes, so these serve proofs against every head, old or new."""

    id = models.BigAutoField(_("ID"), primary_key=True)
    level = models.PositiveSmallIntegerField(_("level"))
    index = models.BigIntegerField(_("index"))
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="ledger_tree_node_unique")
        ]
        triggers = [
            pgtrigger.Protect(
                name="ledger_tree_node_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]
        verbose_name = _("ledger tree node")
        verbose_name_plural = _("ledger tree nodes")

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class LedgerTreeHead(AppendOnlyModel):
    """A signed tree head (ggzy_core.tree_head): the platform key's signature over the
    tree's size and root at one time. Signed at every tick, changed or not."""

    id = models.BigAutoField(_("ID"), primary_key=True)
    tree_size = models.BigIntegerField(_("tree size"))
    root_hash = models.CharField(_("root hash"), max_length=64)
    timestamp = models.DateTimeField(_("timestamp"), db_index=True)
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64)
    signature = models.BinaryField(_("signature"))

    class Meta:
        ordering = ["id"]
        triggers = [
            pgtrigger.Protect(
                name="ledger_tree_head_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]
        verbose_name = _("ledger tree head")
        verbose_name_plural = _("ledger tree heads")

    def __str__(self) -> str:
        return f"tree head {self.timestamp:%Y-%m-%d %H:%M:%S}"


class LedgerTreeState(models.Model):
    """One row, mutable: the tree's right edge (``merkle.Frontier`` as JSON) and the last
    sequence the producer has looked at. The producer locks it; two producers take turns."""

    id = models.PositiveSmallIntegerField(_("ID"), primary_key=True, default=1)
    frontier = models.JSONField(_("frontier"), default=dict)
    cursor = models.BigIntegerField(_("cursor"), default=0)

    class Meta:
        verbose_name = _("ledger tree state")
        verbose_name_plural = _("ledger tree states")

    def __str__(self) -> str:
        return "tree state"


class LedgerTreeScope(models.Model):
    """An embargo scope whose entries entered the tree, and the seal they entered under.
    Mutable bookkeeping for the producer: a scope is entered once per seal that passed, so
    a tick looks only at scopes just lifted, not at every embargoed entry ever written."""

    scope = models.CharField(_("scope"), max_length=100, primary_key=True)
    until = models.DateTimeField(_("until"))

    class Meta:
        verbose_name = _("ledger tree scope")
        verbose_name_plural = _("ledger tree scopes")

    def __str__(self) -> str:
        return f"{self.scope} entered"
