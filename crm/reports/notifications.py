"""Admin notifications (001 "Admin notifications"): what staff must act on, addressed to those who can act.

A notification is raised for one cause (an outbox event, or a platform report) and written once per recipient:
every active staff member, and every API token's service account, holding the permission its type needs. Each
recipient reads and marks their own copy. The handlers in crm/reports/events.py raise them from money and
trading events; a platform adapter raises `ExternalOrderTimeout` through the `platform.external_order_timeout`
event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.reports.models import AdminNotification, AdminNotificationQuerySet, AdminNotificationType

T = AdminNotificationType

# Who is told: the permission that lets a staff member act on the notification's subject.
PERMISSION_FOR: dict[str, str] = {
    T.EXTERNAL_ORDER_TIMEOUT: "trading.view_exposure",
    T.WITHDRAWAL_PENDING: "wallets.approve_transaction",
    T.PAYOUT_FAILED: "payments.manage_payout",
    T.PAYOUT_ATTENTION: "payments.manage_payout",
    T.STOP_OUT: "trading.view_exposure",
    T.WEBHOOK_FAILED: "payments.reprocess_webhookevent",
}
MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


def recipients(permission: str) -> QuerySet[Any]:
    """Active staff and service accounts holding `permission` (superusers included; not portal clients)."""
    app_label, codename = permission.split(".", 1)
    perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    holders = Q(is_superuser=True, is_service_account=False)
    if perm is not None:
        holders |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    return cast(QuerySet[Any], users.filter(holders).distinct())


@transaction.atomic
def raise_notification(type: str, *, key: str, data: dict[str, Any]) -> int:
    """Write the notification for each recipient of its type; raising the same `key` again adds nobody twice.

    Returns how many notifications were written."""
    T(type)  # an unknown type is a programming error
    body = {**data, "type": type}
    now = timezone.now()
    told = AdminNotification.objects.filter(key=key).values_list("recipient_id", flat=True)
    ids = recipients(PERMISSION_FOR[type]).exclude(pk__in=told).values_list("pk", flat=True)
    rows = [AdminNotification(recipient_id=pk, type=type, data=body, key=key, created_at=now) for pk in ids]
    # A recipient told at the same moment by a second run of the same cause is skipped by the unique pair.
    AdminNotification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def inbox(
    user: Any,
    *,
    unread_only: bool = False,
    types: Sequence[str] = (),
    last_id: int | None = None,
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
) -> AdminNotificationQuerySet:
    """The caller's notifications, newest first; `last_id` continues after the last one of the previous page."""
    rows = AdminNotification.objects.visible_to(user)
    if unread_only:
        rows = rows.unread()
    if types:
        rows = rows.filter(type__in=list(types))
    if last_id is not None:
        rows = rows.filter(pk__lt=last_id)
    if created_from is not None:
        rows = rows.filter(created_at__gte=created_from)
    if created_to is not None:
        rows = rows.filter(created_at__lte=created_to)
    return rows.order_by("-id")


def unread_count(user: Any) -> int:
    return AdminNotification.objects.visible_to(user).unread().count()


@transaction.atomic
def mark_read(user: Any, ids: Iterable[int]) -> int:
    """Mark the caller's notifications among `ids` read (others' ids change nothing); returns how many changed."""
    rows = AdminNotification.objects.visible_to(user).unread().filter(pk__in=list(ids))
    return rows.update(is_read=True, read_at=timezone.now())


@transaction.atomic
def mark_all_read(user: Any) -> int:
    """Mark every unread notification of the caller read; returns how many changed."""
    return AdminNotification.objects.visible_to(user).unread().update(is_read=True, read_at=timezone.now())
