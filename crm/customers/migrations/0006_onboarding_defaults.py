"""One configuration row per onboarding step (no stage: nothing required until staff choose) and per portal field."""

from django.db import migrations

STEPS = [
    "SignupDemoForm",
    "SignupRealForm",
    "CompleteAccountBeforeDepositForm",
    "CompleteAccountBeforeWithdrawalForm",
    "EmailConfirmation",
    "KYC",
    "PhoneConfirmation",
    "DisclaimerBeforeDeposit",
]
FIELDS = [
    "first_name",
    "last_name",
    "phone",
    "country",
    "language",
    "date_of_birth",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "currency",
]


def create_rows(apps, schema_editor):
    steps = apps.get_model("customers", "OnboardingStepConfiguration")
    fields = apps.get_model("customers", "CustomerFieldConfiguration")
    for step in STEPS:
        steps.objects.get_or_create(step=step)
    for field in FIELDS:
        fields.objects.get_or_create(field=field)


def delete_rows(apps, schema_editor):
    apps.get_model("customers", "OnboardingStepConfiguration").objects.filter(step__in=STEPS).delete()
    apps.get_model("customers", "CustomerFieldConfiguration").objects.filter(field__in=FIELDS).delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_portal_onboarding_kyc_webhooks")]

    operations = [migrations.RunPython(create_rows, delete_rows)]
