"""Uploads can be terminated by the bidder (tus termination) or expire at the deadline; a
terminated upload frees its idempotency key so the same file can be sent again."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bidding", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="upload",
            name="one_upload_per_key",
        ),
        migrations.AlterField(
            model_name="upload",
            name="state",
            field=models.CharField(
                choices=[
                    ("open", "Uploading"),
                    ("complete", "Complete"),
                    ("refused", "Refused"),
                    ("terminated", "Terminated"),
                    ("expired", "Expired"),
                ],
                default="open",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="upload",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "terminated"), _negated=True),
                fields=("organisation", "section", "idempotency_key"),
                name="one_upload_per_key",
            ),
        ),
    ]
