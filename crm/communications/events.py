"""What communications does on the product's events: the email templates on each event of the catalogue."""

from __future__ import annotations

from crm.communications.services import email as email_services
from crm.communications.triggers import triggers
from crm.core.events import handles
from crm.core.models import OutboxEvent


def send_template_emails(event: OutboxEvent) -> None:
    """Queue the emails of the enabled templates on this event (once per event, template and recipient)."""
    email_services.queue_event_emails(event)


for _name in triggers():
    handles(_name)(send_template_emails)
