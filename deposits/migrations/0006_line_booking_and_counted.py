"""Each bank line names the book transaction that booked it and how much of it counted
towards a deposit: arrivals are booked per batch, section and day, no longer one transaction
per line (decision 81); the line table keeps only the indexes it needs. Lines booked the old
way (``line:<reference>``) are linked to theirs."""

from decimal import Decimal
from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Sum


def link_old_lines(apps: Any, schema_editor: Any) -> None:
    BankLine = apps.get_model("deposits", "BankLine")
    BookTransaction = apps.get_model("deposits", "BookTransaction")
    BookEntry = apps.get_model("deposits", "BookEntry")
    for line in BankLine.objects.filter(direction="credit", booking=None).iterator():
        posted = BookTransaction.objects.filter(key=f"line:{line.reference}").first()
        if posted is None:
            continue
        total = BookEntry.objects.filter(
            transaction=posted, account__kind="deposit", amount__lt=0
        ).aggregate(total=Sum("amount"))["total"]
        BankLine.objects.filter(pk=line.pk).update(booking=posted, counted=-(total or Decimal(0)))


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0005_alert_kinds_and_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="bankline",
            name="booking",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="deposits.booktransaction",
                verbose_name="booked by",
                db_index=False,
            ),
        ),
        migrations.AddField(
            model_name="bankline",
            name="counted",
            field=models.DecimalField(
                decimal_places=2,
                default=0,
                max_digits=18,
                verbose_name="counted towards the deposit (yuan)",
            ),
        ),
        migrations.AlterField(
            model_name='bankline',
            name='outcome',
            field=models.CharField(choices=[('matched', 'Matched to a deposit'), ('held_review', 'Held: not from the basic account [R26]'), ('held_late', 'Held: arrived after the deadline'), ('held_unmatched', 'Held: no such sub-account'), ('held_closed', 'Held: section not taking deposits'), ('payout', 'Payout')], max_length=16, verbose_name='outcome'),
        ),
        migrations.AlterField(
            model_name='bankline',
            name='reference',
            field=models.CharField(max_length=64, verbose_name='bank reference'),
        ),
        migrations.AddConstraint(
            model_name='bankline',
            constraint=models.UniqueConstraint(fields=('reference',), name='one_line_a_reference'),
        ),
        migrations.RunPython(link_old_lines, migrations.RunPython.noop, elidable=True),
    ]
