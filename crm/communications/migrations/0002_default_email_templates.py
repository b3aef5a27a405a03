"""The system emails as templates (crm/communications/defaults.py), in every language of the catalogs."""

from django.db import migrations


def create_defaults(apps, schema_editor):
    from crm.communications.defaults import default_templates

    EmailTemplate = apps.get_model("communications", "EmailTemplate")
    EmailTemplateVariant = apps.get_model("communications", "EmailTemplateVariant")
    for data in default_templates():
        if EmailTemplate.objects.filter(trigger=data["trigger"]).exists():
            continue
        variants = data.pop("variants")
        template = EmailTemplate.objects.create(**data)
        for variant in variants:
            EmailTemplateVariant.objects.create(template=template, **variant)


class Migration(migrations.Migration):
    dependencies = [("communications", "0001_email")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
