"""Seal the ledger embargo of every existing section until its current bid deadline (issue 7).

Sections created from now on are sealed by ``services.section_create``; without this, the
bid events of a section created before would stay hidden for good (the ledger fails closed).
"""

from django.db import migrations


def seal_existing(apps, schema_editor):
    Section = apps.get_model("trading", "Section")
    LedgerEmbargo = apps.get_model("supervision", "LedgerEmbargo")
    for pk, deadline in Section.objects.values_list("pk", "bid_deadline").iterator():
        # The scope is Section.embargo_scope (historical models have no properties).
        LedgerEmbargo.objects.update_or_create(
            scope=f"trading.section:{pk}", defaults={"until": deadline}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("trading", "0001_initial"),
        ("supervision", "0003_ledger_embargo_scope"),
    ]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
