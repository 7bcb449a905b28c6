"""Which ledger entries belong to one section: those about the section itself, those under
its embargo scope or naming its code, and those about any object that hangs off it (a bid,
the hall, a bid's opening, the draw, a seat, a refund, a complaint…).

The objects are found through the models' own foreign keys, up to three steps from the
section (Seat → Draw → Section, Score → Member → Evaluation → …), so a table added later
is covered without a list to keep up to date.
"""

from __future__ import annotations

from functools import lru_cache

from django.apps import apps
from django.db import models
from django.db.models import Q

from trading.models import Project, Section

MAX_DEPTH = 3


def entries_of(section: Section) -> Q:
    """A filter on LedgerEntry for the section's entries (combine with ``ledger.visible``)."""
    q = (
        Q(target_type=Section._meta.label_lower, target_id=str(section.pk))
        | Q(target_type=Project._meta.label_lower, target_id=str(section.project_id))
        | Q(data__section=section.code)
        | Q(data__section_id=section.pk)
    )
    if section.embargo_scope:
        q |= Q(embargo=section.embargo_scope)
    for model, path in _paths():
        ids = model._default_manager.filter(**{path: section.pk}).values_list("pk", flat=True)
        keys = [str(pk) for pk in ids[:10_000]]
        if keys:
            q |= Q(target_type=model._meta.label_lower, target_id__in=keys)
    return q


@lru_cache(maxsize=1)
def _paths() -> tuple[tuple[type[models.Model], str], ...]:
    """Every model with a way to a section, and that way (the models do not change while
    the process runs)."""
    found = []
    for model in apps.get_models():
        if model in (Section, Project):
            continue
        path = _path_to_section(model)
        if path is not None:
            found.append((model, path))
    return tuple(found)


def _path_to_section(model: type[models.Model]) -> str | None:
    """The shortest lookup from ``model`` to a section's pk (``"bid__section"``), or None."""
    frontier: list[tuple[type[models.Model], str]] = [(model, "")]
    for _ in range(MAX_DEPTH):
        following = []
        for current, prefix in frontier:
            for field in current._meta.get_fields():
                if not (field.many_to_one or field.one_to_one) or not field.concrete:
                    continue
                related = field.related_model
                if not isinstance(related, type):
                    continue
                lookup = f"{prefix}{field.name}"
                if related is Section:
                    return f"{lookup}_id" if not prefix else f"{lookup}__pk"
                following.append((related, f"{lookup}__"))
        frontier = following
    return None
