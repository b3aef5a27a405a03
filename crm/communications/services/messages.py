"""Sending in-app messages (000 Messages, Group Messages) and the client's inbox (read state).

Staff reach only the clients they may see (`Customer.objects.visible_to`): a message to one client they do
not see is refused as not found, chosen clients they do not see are a field error, and "all clients" and
"a client group" mean those of them the sender sees. A message to one client is a contact (it stamps the
client's `last_contact_at`); a broadcast is not. A `push` message also goes out as a web push to the
client's `User` subscriptions, after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.communications.models import GroupMessage, Message, MessageType
from crm.communications.services import push
from crm.core.events import emit
from crm.core.exceptions import DomainError, NotFound
from crm.core.services import record_activity
from crm.customers.models import ClientGroup, Customer
from crm.users.models import User

BATCH = 2000
MAX_CHOSEN = 10_000


def _clean(subject: str, text: str, type: str) -> tuple[str, str]:
    subject, text = (subject or "").strip(), (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = [_("Required.")]
    elif len(subject) > 255:
        errors["subject"] = [_("At most 255 characters.")]
    if not text:
        errors["text"] = [_("Required.")]
    if type not in MessageType.values:
        errors["type"] = [_("Unknown message type.")]
    if errors:
        raise DomainError(_("The request has invalid fields."), code="validation_error", fields=errors)
    return subject, text


def _push(message_ids: list[int]) -> None:
    """Queue the web push of push messages, in the sending transaction (sent by a task after commit)."""
    push.push_messages(message_ids)


@transaction.atomic
def send_message(
    customer: Customer, *, subject: str, text: str, type: str = MessageType.MESSAGE, actor: User
) -> Message:
    """Put a message in one client's inbox (and push it when `type` is push); stamps the last contact time."""
    subject, text = _clean(subject, text, type)
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotFound(_("Client not found."))
    message = Message.objects.create(
        customer=customer, sender=actor, subject=subject, text=text, via_push=type == MessageType.PUSH
    )
    Customer.objects.filter(pk=customer.pk).update(last_contact_at=message.created_at)
    record_activity(
        actor=actor,
        action="customer.messaged",
        target=customer,
        data={"message_id": message.pk, "subject": subject, "type": type},
    )
    if message.via_push:
        _push([message.pk])
    return message


def _chosen(customer_ids: Iterable[int], actor: User) -> QuerySet[Customer]:
    wanted = sorted(set(customer_ids))
    if not wanted:
        raise DomainError(
            _("The request has invalid fields."), code="validation_error", fields={"customer_ids": [_("Required.")]}
        )
    if len(wanted) > MAX_CHOSEN:
        raise DomainError(
            _("The request has invalid fields."),
            code="validation_error",
            fields={"customer_ids": [_("At most %(count)d clients.") % {"count": MAX_CHOSEN}]},
        )
    seen = set(Customer.objects.visible_to(actor).filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [pk for pk in wanted if pk not in seen]
    if missing:
        shown = ", ".join(str(pk) for pk in missing[:20])
        raise DomainError(
            _("The request has invalid fields."),
            code="validation_error",
            fields={"customer_ids": [_("Unknown clients: %(ids)s.") % {"ids": shown}]},
        )
    return Customer.objects.filter(pk__in=wanted)


def _batches(ids: Iterator[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@transaction.atomic
def send_group_message(
    *,
    audience: str,
    subject: str,
    text: str,
    type: str = MessageType.MESSAGE,
    customer_ids: Iterable[int] = (),
    client_group: ClientGroup | None = None,
    actor: User,
) -> GroupMessage:
    """Send one message to chosen clients, to every client or to a client group (those the sender may see).

    Every recipient gets an inbox row in batched inserts; push messages are pushed after commit.
    """
    subject, text = _clean(subject, text, type)
    if audience == GroupMessage.Audience.CUSTOMERS:
        recipients = _chosen(customer_ids, actor)
    elif audience == GroupMessage.Audience.ALL:
        recipients = Customer.objects.visible_to(actor)
    elif audience == GroupMessage.Audience.GROUP:
        if client_group is None:
            raise DomainError(
                _("The request has invalid fields."),
                code="validation_error",
                fields={"client_group_id": [_("Required.")]},
            )
        recipients = Customer.objects.visible_to(actor).filter(groups=client_group)
    else:
        raise DomainError(
            _("The request has invalid fields."), code="validation_error", fields={"audience": [_("Unknown.")]}
        )
    via_push = type == MessageType.PUSH
    group = GroupMessage.objects.create(
        audience=audience,
        client_group=client_group if audience == GroupMessage.Audience.GROUP else None,
        type=type,
        subject=subject,
        text=text,
        sender=actor,
    )
    ids = recipients.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=BATCH)
    count = 0
    for batch in _batches(ids):
        Message.objects.bulk_create(
            Message(customer_id=pk, sender=actor, group_message=group, subject=subject, text=text, via_push=via_push)
            for pk in batch
        )
        count += len(batch)
    group.recipient_count = count
    group.save(update_fields=["recipient_count", "updated_at"])
    record_activity(
        actor=actor,
        action="group_message.sent",
        target=group,
        data={"audience": audience, "recipients": count, "type": type},
    )
    if via_push and count:
        _push(list(group.messages.values_list("pk", flat=True)))
    # The email templates on this event send each recipient an email (none are shipped enabled).
    emit("group_message.sent", group_message_id=group.pk, subject=subject, text=text, type=type)
    return group


def mark_read(message: Message, *, customer: Customer) -> Message:
    """Mark one of the client's messages read; reading it again keeps the first time."""
    if message.customer_id != customer.pk:
        raise NotFound(_("Message not found."))
    if message.read_at is None:
        now = timezone.now()
        updated = Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now, updated_at=now)
        if updated:
            message.read_at = now
        else:
            message.refresh_from_db(fields=["read_at"])
    return message


def unread_count(customer: Customer) -> int:
    return Message.objects.filter(customer=customer).unread().count()
