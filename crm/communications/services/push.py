"""Web push (000 Push Notifications) through pywebpush: the VAPID key pair, subscriptions, sending.

The VAPID key pair is generated the first time it is needed and kept in the settings store (the private
key encrypted); the public key is what browsers subscribe with. A notification is a stored row, queued and
sent by a task after commit to every subscription of the user and topic; a push service that answers 404
or 410 says the subscription is gone, and it is removed. A client subscribes to the `user` topic, staff to
`admin` (staff alerts).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from crm.communications.models import Message, PushNotification, PushSubscription, PushTopic
from crm.communications.work import PUSHES
from crm.core import work
from crm.core.exceptions import DomainError, NotFound
from crm.core.services import get_setting, record_activity, set_setting
from crm.customers.models import Customer
from crm.users.models import User

logger = logging.getLogger(__name__)

PRIVATE_KEY_SETTING = "push.vapid_private_key"
PUBLIC_KEY_SETTING = "push.vapid_public_key"
SUBJECT_SETTING = "push.vapid_subject"
MAX_TTL = 28 * 24 * 3600
MAX_PAYLOAD = 3000  # bytes of JSON; push services take about 4 KB once encrypted
GONE = (404, 410)
TIMEOUT = 10


# VAPID keys ----------------------------------------------------------------------------------------------


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _generate_keys() -> None:
    vapid = Vapid02()
    vapid.generate_keys()
    private_pem = vapid.private_pem().decode()
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    try:
        with transaction.atomic():
            set_setting(
                PRIVATE_KEY_SETTING,
                private_pem,
                is_secret=True,
                description="Web push VAPID private key (PEM), generated once",
                actor=None,
            )
            set_setting(
                PUBLIC_KEY_SETTING,
                _b64url(public),
                description="Web push VAPID public key (applicationServerKey)",
                actor=None,
            )
    except IntegrityError:
        return  # another process generated the pair at the same moment: theirs is kept


def vapid_public_key() -> str:
    """The application server key browsers subscribe with (base64url); the pair is generated once."""
    key = get_setting(PUBLIC_KEY_SETTING, None)
    if not key:
        _generate_keys()
        key = get_setting(PUBLIC_KEY_SETTING)
    return str(key)


def _vapid() -> Vapid02:
    vapid_public_key()
    pem = str(get_setting(PRIVATE_KEY_SETTING))
    return Vapid02.from_pem(pem.encode())


def _vapid_subject() -> str:
    subject = get_setting(SUBJECT_SETTING, "")
    if subject:
        return str(subject)
    address = settings.DEFAULT_FROM_EMAIL.rpartition("<")[2].rstrip(">").strip()
    return f"mailto:{address}"


# Subscriptions ------------------------------------------------------------------------------------------


def _topic_for(user: User, topic: str) -> str:
    allowed = PushTopic.ADMIN if user.is_staff else PushTopic.USER
    if topic != allowed:
        raise DomainError(
            _("The request has invalid fields."),
            code="validation_error",
            fields={"topic": [_("Staff subscribe to admin, clients to user.")]},
        )
    return topic


@transaction.atomic
def subscribe(
    user: User, *, endpoint: str, p256dh: str, auth: str, topic: str, expiration_time: dt.datetime | None = None
) -> PushSubscription:
    """Save the browser's subscription for the user and topic; subscribing the same endpoint again updates it
    (and moves it to this user: the browser logged in as someone else)."""
    topic = _topic_for(user, topic)
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        topic=topic,
        defaults={"user": user, "p256dh": p256dh, "auth": auth, "expiration_time": expiration_time},
    )
    return subscription


def unsubscribe(user: User, *, pk: int | None = None, endpoint: str = "", topic: str = "") -> int:
    """Remove the user's own subscriptions matching the id, endpoint and topic given; returns how many."""
    if pk is None and not endpoint and not topic:
        raise DomainError(
            _("Give an id, an endpoint or a topic."),
            code="validation_error",
            fields={"endpoint": [_("Give an id, an endpoint or a topic.")]},
        )
    rows = PushSubscription.objects.filter(user=user)
    if pk is not None:
        rows = rows.filter(pk=pk)
    if endpoint:
        rows = rows.filter(endpoint=endpoint)
    if topic:
        rows = rows.filter(topic=topic)
    deleted, _detail = rows.delete()
    return deleted


# Sending ---------------------------------------------------------------------------------------------


def _check_payload(notification: dict[str, Any], ttl: int) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(notification, dict) or not notification:
        errors["notification"] = [_("Required.")]
    elif len(json.dumps(notification).encode()) > MAX_PAYLOAD:
        errors["notification"] = [_("At most %(size)d bytes.") % {"size": MAX_PAYLOAD}]
    if not 0 <= ttl <= MAX_TTL:
        errors["ttl"] = [_("Between 0 and %(max)d seconds.") % {"max": MAX_TTL}]
    if errors:
        raise DomainError(_("The request has invalid fields."), code="validation_error", fields=errors)


@transaction.atomic
def notify_customer(
    customer: Customer, *, notification: dict[str, Any], topic: str = PushTopic.USER, ttl: int = 0, actor: User
) -> PushNotification:
    """Queue a push to the client's subscriptions of the topic (sent by a task after commit)."""
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotFound(_("Client not found."))
    if customer.user_id is None:
        raise DomainError(
            _("The client has no portal login."),
            code="no_portal_login",
            fields={"customer_id": [_("The client has no portal login.")]},
        )
    if topic != PushTopic.USER:
        raise DomainError(
            _("The request has invalid fields."),
            code="validation_error",
            fields={"topic": [_("Staff subscribe to admin, clients to user.")]},
        )
    _check_payload(notification, ttl)
    push = _queue(customer.user_id, customer_id=customer.pk, topic=topic, payload=notification, ttl=ttl, sender=actor)
    record_activity(
        actor=actor,
        action="customer.pushed",
        target=customer,
        data={"push_id": push.pk, "title": str(notification.get("title", ""))[:255]},
    )
    return push


def notify_staff(user: User, *, notification: dict[str, Any], ttl: int = 0) -> PushNotification:
    """Queue a push to a staff member's `admin` subscriptions (alerts from the system)."""
    _check_payload(notification, ttl)
    return _queue(user.pk, customer_id=None, topic=PushTopic.ADMIN, payload=notification, ttl=ttl, sender=None)


def _queue(
    user_id: int,
    *,
    customer_id: int | None,
    topic: str,
    payload: dict[str, Any],
    ttl: int,
    sender: User | None,
    message_id: int | None = None,
) -> PushNotification:
    push = PushNotification.objects.create(
        user_id=user_id,
        customer_id=customer_id,
        topic=topic,
        payload=payload,
        ttl=ttl,
        sender=sender,
        message_id=message_id,
        next_attempt_at=work.first_due(PUSHES),
    )
    work.enqueue(PUSHES, push.pk)
    return push


@transaction.atomic
def push_messages(message_ids: list[int]) -> int:
    """Queue the web push of inbox messages sent as push, one per client with a portal login."""
    count = 0
    rows = Message.objects.filter(pk__in=message_ids, customer__user__isnull=False).select_related("customer")
    for message in rows.order_by("pk").iterator(chunk_size=1000):
        payload = {"title": message.subject, "body": message.text[:1000], "message_id": message.pk}
        _queue(
            message.customer.user_id,  # type: ignore[arg-type]  # filtered on a login above
            customer_id=message.customer_id,
            topic=PushTopic.USER,
            payload=payload,
            ttl=0,
            sender=message.sender,
            message_id=message.pk,
        )
        count += 1
    return count


def send_push(push_id: int, *, session: requests.Session | None = None) -> PushNotification | None:
    """Deliver a queued notification to every subscription of its user and topic; a notification already
    sent is left alone. Subscriptions the push service says are gone (404, 410) are removed."""
    with transaction.atomic():
        push = PushNotification.objects.select_for_update().filter(pk=push_id).first()
        if push is None or push.status != PushNotification.Status.QUEUED:
            return push
        subscriptions = list(PushSubscription.objects.filter(user_id=push.user_id, topic=push.topic).order_by("pk"))
        if not subscriptions:
            push.status = PushNotification.Status.NO_SUBSCRIPTION
            push.next_attempt_at = None
            push.save(update_fields=["status", "next_attempt_at", "updated_at"])
            return push
        vapid = _vapid()
        claims = {"sub": _vapid_subject()}
        data = json.dumps(push.payload)
        delivered, failed, gone, errors = 0, 0, [], []
        for subscription in subscriptions:
            try:
                webpush(
                    subscription.info(),
                    data=data,
                    vapid_private_key=vapid,
                    vapid_claims=dict(claims),
                    ttl=push.ttl,
                    timeout=TIMEOUT,
                    requests_session=session,
                )
            except WebPushException as exc:
                status = getattr(exc.response, "status_code", None)
                if status in GONE:
                    gone.append(subscription.pk)
                else:
                    failed += 1
                    errors.append(f"{status or ''} {exc.message}".strip()[:300])
            except requests.RequestException as exc:
                failed += 1
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
            else:
                delivered += 1
        if gone:
            PushSubscription.objects.filter(pk__in=gone).delete()
        push.delivered, push.failed, push.removed = delivered, failed, len(gone)
        push.error = "\n".join(errors)
        push.status = _outcome(delivered, failed)
        push.next_attempt_at = None
        push.save(update_fields=["delivered", "failed", "removed", "error", "status", "next_attempt_at", "updated_at"])
    return push


def _outcome(delivered: int, failed: int) -> str:
    if delivered and failed:
        return PushNotification.Status.PARTLY_SENT
    if delivered:
        return PushNotification.Status.SENT
    if failed:
        return PushNotification.Status.FAILED
    return PushNotification.Status.NO_SUBSCRIPTION  # every subscription was gone


def give_up_pushes(pks: list[int]) -> None:
    """Notifications whose task never ran within their attempts: failed (a late push is worse than none)."""
    PushNotification.objects.filter(pk__in=pks, status=PushNotification.Status.QUEUED).update(
        status=PushNotification.Status.FAILED, error=_("Not sent in time."), updated_at=timezone.now()
    )
