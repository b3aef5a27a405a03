"""The shipped templates' amounts through the product's money format: `{{ amount|money }} {{ currency }}` becomes
`{{ amount|money(currency) }}` (`1,234.50 USD`); templates staff wrote otherwise are left as they are."""

from django.db import migrations

OLD = "{{ amount|money }} {{ currency }}"
NEW = "{{ amount|money(currency) }}"


def rewrite(apps, schema_editor, old=OLD, new=NEW):
    for name in ("EmailTemplate", "EmailTemplateVariant"):
        model = apps.get_model("communications", name)
        for row in model.objects.filter(txt__contains=old) | model.objects.filter(subject__contains=old):
            row.subject, row.mjml, row.txt = (value.replace(old, new) for value in (row.subject, row.mjml, row.txt))
            row.save(update_fields=["subject", "mjml", "txt"])


def back(apps, schema_editor):
    rewrite(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [("communications", "0005_merge_email_and_messages")]

    operations = [migrations.RunPython(rewrite, back)]
