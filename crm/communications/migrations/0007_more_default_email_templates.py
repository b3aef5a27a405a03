"""The shipped templates added since 0002 (crm/communications/defaults.py), for the triggers that have none yet."""

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
    dependencies = [("communications", "0006_money_filter_with_currency")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
