"""The permission group centre staff get: they may use Django admin to look after
organisations and people, and read (never change) keys and the ledger."""

from django.db import migrations

GROUP = "centre-staff"
PERMISSIONS = [
    ("accounts", "organisation", ["view", "change"]),
    ("accounts", "person", ["view", "change"]),
    ("accounts", "organisationkey", ["view"]),
    ("supervision", "ledgerentry", ["view"]),
    ("supervision", "ledgercheckpoint", ["view"]),
]


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, model, actions in PERMISSIONS:
        for action in actions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("supervision", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
