"""Core writes: the settings store and the activity log."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction
from django.utils.translation import gettext as _

from crm.core import context, crypto
from crm.core.actors import user_or_none
from crm.core.exceptions import NotFound
from crm.core.models import Activity, Setting, parse_setting_value
from crm.core.typing import PermissionHolder

SETTING_CACHE_PREFIX = "setting:"
_MISSING = object()


# Settings store -----------------------------------------------------------------------


def get_setting(key: str, default: Any = _MISSING) -> Any:
    """The typed value of a setting (secrets decrypted), cached until the setting changes."""
    cached = cache.get(SETTING_CACHE_PREFIX + key, _MISSING)
    if cached is _MISSING:
        setting = Setting.objects.filter(key=key).first()
        if setting is None:
            if default is _MISSING:
                raise NotFound(_("Setting %(key)s is not configured.") % {"key": repr(key)}, code="setting_not_found")
            return default
        # Secrets are not cached: the cache may be a shared Redis.
        if setting.is_secret:
            return setting.value
        cached = setting.value
        cache.set(SETTING_CACHE_PREFIX + key, cached, timeout=300)
    return cached


@transaction.atomic
def set_setting(
    key: str,
    value: Any,
    *,
    value_type: str | None = None,
    is_secret: bool | None = None,
    description: str | None = None,
    actor: PermissionHolder | None = None,
) -> Setting:
    """Create or change a setting. The value is validated against its type; secrets are encrypted."""
    setting = Setting.objects.select_for_update().filter(key=key).first() or Setting(key=key)
    if value_type is not None:
        setting.value_type = value_type
    if is_secret is not None:
        setting.is_secret = is_secret
    if description is not None:
        setting.description = description
    raw = _setting_text(value, setting.value_type)
    parse_setting_value(raw, setting.value_type)  # raises ValidationError on a bad value
    setting.stored_value = crypto.encrypt(raw) if setting.is_secret else raw
    setting.full_clean()
    setting.save()
    transaction.on_commit(lambda: cache.delete(SETTING_CACHE_PREFIX + key))
    # A secret's value never reaches the log.
    shown = "********" if setting.is_secret else raw
    record_activity(actor=actor, action="setting.changed", target=setting, data={"key": key, "value": shown})
    return setting


def _setting_text(value: Any, value_type: str) -> str:
    if value_type == Setting.Type.JSON and not isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Activity log ---------------------------------------------------------------------------


def record_activity(
    *,
    actor: PermissionHolder | None,
    action: str,
    target: models.Model | None = None,
    changes: dict[str, list[Any]] | None = None,
    data: dict[str, Any] | None = None,
) -> Activity:
    """Write one activity row; the caller's IP and channel come from the request or task context."""
    values = activity_values(actor=actor, action=action, target=target, changes=changes, data=data)
    return Activity.objects.create(**values)


def activity_values(
    *,
    actor: PermissionHolder | None,
    action: str,
    target: models.Model | None = None,
    changes: dict[str, list[Any]] | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The activity row `record_activity` writes, as field values by attname (`created_at` is stamped on insert).

    The one definition of what an activity row holds: the ledger writes a money movement's row from it with its
    own prepared statement (crm.wallets.services.ledger)."""
    ctx = context.current()
    user = user_or_none(actor)
    return {
        "actor_id": user.pk if user else None,
        "actor_repr": str(user) if user else ctx.channel,
        "channel": ctx.channel,
        "action": action,
        "target_type_id": ContentType.objects.get_for_model(target).pk if target is not None else None,
        "target_id": str(target.pk) if target is not None else "",
        "target_repr": str(target)[:255] if target is not None else "",
        "ip_address": ctx.ip,
        "changes": _jsonable(changes or {}),
        "data": _jsonable(data or {}),
    }


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """Field values before a change, to pass to `changed_fields` after it."""
    return {name: _field_value(instance, name) for name in fields}


def changed_fields(instance: models.Model, before: dict[str, Any]) -> dict[str, list[Any]]:
    """{"field": [old, new]} for the fields whose value differs from the snapshot."""
    changes: dict[str, list[Any]] = {}
    for name, old in before.items():
        new = _field_value(instance, name)
        if old != new:
            changes[name] = [old, new]
    jsonable: dict[str, list[Any]] = _jsonable(changes)
    return jsonable


def _field_value(instance: models.Model, name: str) -> Any:
    field = instance._meta.get_field(name)
    if field.many_to_many:
        return sorted(str(v) for v in getattr(instance, name).values_list("pk", flat=True)) if instance.pk else []
    return getattr(instance, field.attname)  # type: ignore[union-attr]  # a reverse relation is not passed here


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | dt.date | dt.datetime):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
