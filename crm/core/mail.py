"""Sending one plain-text email from staff (to a lead or a client) through Django's email backend."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage


def send_email(*, to: str, subject: str, body: str, reply_to: str | None = None) -> None:
    """Send a plain-text email; raises the backend's error when it cannot be sent."""
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
    )
    message.send(fail_silently=False)
