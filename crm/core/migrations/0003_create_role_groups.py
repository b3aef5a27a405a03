from django.db import migrations

ROLES = [
    "Admin",
    "Sales Manager",
    "Sales Agent",
    "Retention Agent",
    "Compliance",
    "Finance",
    "Affiliate Manager",
    "Dealer",
    "Support",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    """Staff roles as groups; their permissions are granted after migrate (crm.core.roles)."""

    dependencies = [("core", "0002_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
