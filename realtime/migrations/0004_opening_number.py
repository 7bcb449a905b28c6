"""Bids are numbered at the opening, not at receipt [E21]: BidOpening.number, in order of the
signed receipt time (received_at, then the bid's id)."""

from django.db import migrations, models


def number_existing_openings(apps, schema_editor):  # type: ignore[no-untyped-def]
    BidOpening = apps.get_model("realtime", "BidOpening")
    Hall = apps.get_model("realtime", "Hall")
    for hall in Hall.objects.all():
        openings = BidOpening.objects.filter(hall=hall).order_by("bid__received_at", "bid__id")
        for number, opening in enumerate(openings, start=1):
            BidOpening.objects.filter(pk=opening.pk).update(number=number)


class Migration(migrations.Migration):
    dependencies = [
        ("bidding", "0001_initial"),
        ("realtime", "0003_hall_rescue"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="bidopening",
            options={"ordering": ["hall", "number"]},
        ),
        migrations.AddField(
            model_name="bidopening",
            name="number",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.RunPython(number_existing_openings, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="bidopening",
            name="number",
            field=models.PositiveIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="bidopening",
            constraint=models.UniqueConstraint(
                fields=("hall", "number"), name="one_bid_per_opening_number"
            ),
        ),
    ]
