"""One source per scale of a market: `price_scale` goes (`digits`, which sets the point and the rounding of the
prices the platform works out, is the price scale everywhere); `amount_scale`, which every API now shows,
starts at what the front office showed until now (the decimal places of lot step times contract size), so
clients see no change."""

import django.core.validators
from django.db import migrations, models


def _decimals(amount):
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def amount_scale_as_shown(apps, schema_editor):
    Instrument = apps.get_model("trading", "Instrument")
    changed = []
    for instrument in Instrument.objects.only("lot_step", "contract_size", "amount_scale").iterator():
        shown = _decimals(instrument.lot_step * instrument.contract_size)
        if instrument.amount_scale != shown:
            instrument.amount_scale = shown
            changed.append(instrument)
    Instrument.objects.bulk_update(changed, ["amount_scale"], batch_size=500)


def price_scale_from_digits(apps, schema_editor):
    """Backwards: the restored `price_scale` takes the price decimals."""
    Instrument = apps.get_model("trading", "Instrument")
    Instrument.objects.update(price_scale=models.F("digits"))


class Migration(migrations.Migration):
    dependencies = [
        ("trading", "0009_merge_spot"),
    ]

    operations = [
        migrations.RunPython(amount_scale_as_shown, migrations.RunPython.noop),
        migrations.RunPython(migrations.RunPython.noop, price_scale_from_digits),
        migrations.RemoveField(
            model_name="instrument",
            name="price_scale",
        ),
        migrations.AlterField(
            model_name="instrument",
            name="amount_scale",
            field=models.PositiveSmallIntegerField(
                default=2,
                help_text="Decimal places of amounts (lots times the contract size) shown to clients.",
                validators=[django.core.validators.MaxValueValidator(8)],
            ),
        ),
        migrations.AlterField(
            model_name="instrument",
            name="digits",
            field=models.PositiveSmallIntegerField(
                default=5,
                help_text=(
                    "Decimal places of prices (a point is one unit of the last); prices the platform works out are "
                    "rounded to them."
                ),
                validators=[django.core.validators.MaxValueValidator(10)],
            ),
        ),
    ]
