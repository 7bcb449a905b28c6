"""The embargo names a scope (e.g. "trading.section:12") instead of a fixed time, and
``LedgerEmbargo`` says until when each scope is sealed, so that moving a deadline moves the
embargo (issue 7). The hashed record changes from ``embargo_until`` to ``embargo``: a ledger
written before this migration no longer verifies (pre-1.0: recreate the database)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0002_ledger_embargo'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerEmbargo',
            fields=[
                ('scope', models.CharField(max_length=100, primary_key=True, serialize=False)),
                ('until', models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RemoveField(
            model_name='ledgerentry',
            name='embargo_until',
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='embargo',
            field=models.CharField(blank=True, db_index=True, default='', max_length=100),
        ),
    ]
