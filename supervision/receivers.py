"""Changes made in Django admin are ledgered too: admin writes a LogEntry for each one.

The change itself is made by a service (accounts/admin.py calls them), which ledgers it with
before/after; this entry adds that it was done in admin, by whom and with which message.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from supervision import ledger

_ADMIN_ACTIONS = {1: "added", 2: "changed", 3: "deleted"}


@receiver(post_save, sender=LogEntry)
def ledger_admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    content_type = instance.content_type
    label = f"{content_type.app_label}.{content_type.model}" if content_type else "unknown"
    ledger.append(
        f"admin.object.{_ADMIN_ACTIONS.get(instance.action_flag, 'touched')}",
        actor=instance.user,
        target=(label, instance.object_id or ""),
        data={"object": instance.object_repr, "message": instance.get_change_message()},
    )
