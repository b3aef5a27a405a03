"""The indexes of `customers_customer` that no query used go (campaign, external_id, created_at, the agents'
foreign keys that customer_conv_agent_idx / customer_ret_agent_idx start with, client_type, kyc_reviewed_by,
verification_level, the pattern-ops twins of source and referral_key); the phone keeps one index, the
pattern-ops one (0004 made it, unless the plain phone index's own twin was already there: then here).
"""

import django.db.models.deletion
import phonenumber_field.modelfields
from django.conf import settings
from django.db import migrations, models


def create_phone_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "customer_phone_pattern_idx" ON "customers_customer" ("phone" varchar_pattern_ops)'
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_client_indexes_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="campaign",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name="customer",
            name="client_type",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="customers.clienttype",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="conversion_agent",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="conversion_customers",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name="customer",
            name="external_id",
            field=models.CharField(blank=True, max_length=100, verbose_name="external ID"),
        ),
        migrations.AlterField(
            model_name="customer",
            name="kyc_reviewed_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="KYC reviewed by",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="phone",
            field=phonenumber_field.modelfields.PhoneNumberField(blank=True, max_length=128, region=None),
        ),
        migrations.AlterField(
            model_name="customer",
            name="referral_key",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="customer",
            name="retention_agent",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="retention_customers",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="source",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name="customer",
            name="verification_level",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="customers",
                to="customers.verificationlevel",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["source"], name="customer_source_idx"),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(fields=("referral_key",), name="customer_referral_key_unique"),
        ),
        # After the phone field's own indexes are gone (its AlterField above).
        migrations.RunPython(create_phone_pattern_index, migrations.RunPython.noop, elidable=False),
    ]
