# The email chain (0001_email, 0002_default_email_templates) and the messages, push, SMS and VoIP chain
# (0001_messages ... 0004_voip_calls) were built side by side; this joins them.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("communications", "0002_default_email_templates"),
        ("communications", "0004_voip_calls"),
    ]

    operations = []
