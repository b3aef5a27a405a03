"""Text messages behind a small adapter: `send_sms(phone, text)` uses the backend named by SMS_BACKEND.

The built-in `LogSmsBackend` writes the message to the log, so phone confirmation works on one machine;
a provider's backend implements the same `send` method.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend:
    """Sends one text message; raises on failure."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class LogSmsBackend(SmsBackend):
    """Writes the message to the log instead of sending it (development, demos, tests)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def send_sms(phone: str, text: str) -> None:
    """Send `text` to `phone` through the configured backend."""
    get_backend().send(phone, text)
