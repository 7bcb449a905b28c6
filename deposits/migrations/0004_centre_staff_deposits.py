"""Centre staff (group ``centre-staff``) read the deposits in Django admin, and maintain the
interest-rate table and the calendar days (admin saves those through
deposits.reference_data). Money itself moves only through the services: no add, change or
delete on anything else."""

from django.db import migrations

GROUP = "centre-staff"  # made by accounts 0002
READ = [
    "basicaccount",
    "subaccount",
    "bankline",
    "bookaccount",
    "booktransaction",
    "refund",
    "forfeiture",
    "alert",
    "issuer",
    "guarantee",
    "guaranteeclaim",
]
MAINTAINED = ["interestrate", "calendarday"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = [f"view_{model}" for model in READ + MAINTAINED] + [
        f"{action}_{model}" for model in MAINTAINED for action in ("add", "change", "delete")
    ]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="deposits", codename__in=wanted)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="deposits"))


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0003_guarantees"),
        ("accounts", "0002_centre_staff_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
