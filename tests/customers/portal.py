"""Helpers of the portal tests: an SMS outbox backend, token extraction, URL names."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from crm.core.sms import SmsBackend

SENT: list[tuple[str, str]] = []
PASSWORD = "a long enough passphrase 42"


class OutboxSmsBackend(SmsBackend):
    """Keeps text messages in `SENT` for the test to read."""

    def send(self, phone: str, text: str) -> None:
        SENT.append((phone, text))


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "tests.customers.portal.OutboxSmsBackend"
    SENT.clear()
    yield SENT
    SENT.clear()


def url(name: str, *args) -> str:
    return reverse(f"portal:{name}", args=args)


def token_in(text: str) -> str:
    """The token of a link (`?token=...`) or the last word of a text message."""
    match = re.search(r"token=([\w\-]+)", text)
    return match.group(1) if match else text.rsplit(" ", 1)[-1]
