"""Writes of the trading configuration: instruments and groups' trading settings, validated and logged."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from crm.core.services import changed_fields, record_activity, snapshot
from crm.trading.models import GroupTradingSettings, Instrument
from crm.wallets.models import AccountGroup


@transaction.atomic
def save_instrument(instrument: Instrument | None = None, *, actor: Any, **values: Any) -> Instrument:
    """Create or change an instrument; every field is validated (`full_clean`) before it is saved."""
    instrument = instrument or Instrument()
    before = snapshot(instrument, list(values))
    for name, value in values.items():
        setattr(instrument, name, value)
    instrument.full_clean()
    created = instrument.pk is None
    instrument.save()
    record_activity(
        actor=actor,
        action="trading.instrument_created" if created else "trading.instrument_changed",
        target=instrument,
        changes=changed_fields(instrument, before),
    )
    return instrument


@transaction.atomic
def save_group_settings(group: AccountGroup, *, actor: Any, **values: Any) -> GroupTradingSettings:
    """Create or change the trading settings of an account group."""
    settings = GroupTradingSettings.objects.filter(group=group).first() or GroupTradingSettings(group=group)
    before = snapshot(settings, list(values))
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    record_activity(
        actor=actor, action="trading.group_settings_saved", target=settings, changes=changed_fields(settings, before)
    )
    return settings
