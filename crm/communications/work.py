"""Communications' stored work (crm.core.work): queued emails, email webhooks, web pushes and VoIP webhooks,
each swept by beat."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from crm.core.work import Kind


def _emails_out_of_attempts(pks: list[int]) -> None:
    from crm.communications.services.email import give_up_emails

    give_up_emails(pks)


EMAILS = Kind(
    name="communications.email",
    label="Email: send the emails whose task was lost",
    model_label="communications.EmailMessage",
    task_name="crm.communications.tasks.send_email_task",
    sweep_task_name="crm.communications.tasks.sweep_emails_task",
    pending=Q(status="queued"),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=120),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=8,
    give_up=_emails_out_of_attempts,
)

EMAIL_WEBHOOKS = Kind(
    name="communications.email_webhook",
    label="Email: record provider delivery webhooks whose task was lost",
    model_label="communications.EmailWebhook",
    task_name="crm.communications.tasks.process_email_webhook_task",
    sweep_task_name="crm.communications.tasks.sweep_email_webhooks_task",
    pending=Q(signature_valid=True, processed_at=None),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=120),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=10,
)


def _call_events_out_of_attempts(pks: list[int]) -> None:
    from crm.communications.services.calls import give_up_call_events

    give_up_call_events(pks)


def _pushes_out_of_attempts(pks: list[int]) -> None:
    from crm.communications.services.push import give_up_pushes

    give_up_pushes(pks)


CALL_EVENTS = Kind(
    name="communications.call_event",
    label="Communications: process VoIP webhooks whose task was lost",
    model_label="communications.CallEvent",
    task_name="crm.communications.tasks.process_call_event_task",
    sweep_task_name="crm.communications.tasks.sweep_call_events_task",
    pending=Q(is_authentic=True, status="received"),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=120),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=10,
    give_up=_call_events_out_of_attempts,
)

PUSHES = Kind(
    name="communications.push",
    label="Communications: send web pushes whose task was lost",
    model_label="communications.PushNotification",
    task_name="crm.communications.tasks.send_push_task",
    sweep_task_name="crm.communications.tasks.sweep_pushes_task",
    pending=Q(status="queued"),
    first_wait=dt.timedelta(seconds=60),
    lease=dt.timedelta(seconds=120),
    sweep_every=dt.timedelta(seconds=60),
    max_attempts=5,
    give_up=_pushes_out_of_attempts,
)
