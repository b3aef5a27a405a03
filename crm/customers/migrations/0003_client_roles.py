from django.db import migrations

CLIENT_ROLES = ["trader", "affiliate", "leader", "partner"]


def create_roles(apps, schema_editor):
    ClientRole = apps.get_model("customers", "ClientRole")
    for name in CLIENT_ROLES:
        ClientRole.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_initial")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
