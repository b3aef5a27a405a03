"""Redis is a cache and a broker, never the source of truth: with Redis unreachable, settings come from the
database, throttles allow (and log), webhooks are stored and acknowledged, and health says what is degraded."""

import logging
from decimal import Decimal

import kombu.exceptions
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIRequestFactory

from crm.core import cache as fail_soft
from crm.core.api.throttling import AnonRateThrottle
from crm.core.services import get_setting, set_setting
from crm.payments import services, tasks
from crm.payments.adapters import get_adapter
from crm.payments.models import WebhookEvent
from tests.payments.factories import PaymentMethodFactory
from tests.wallets.factories import WalletFactory

pytestmark = pytest.mark.django_db
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@pytest.fixture
def redis_down(settings):
    """The default cache on a Redis that cannot be reached, with the production backend and options."""
    settings.CACHES = {
        "default": {
            "BACKEND": "crm.core.cache.FailSoftRedisCache",
            "LOCATION": UNREACHABLE,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    fail_soft.FailSoftRedisCache._last_warning = 0.0


def test_settings_come_from_the_database_while_the_cache_is_unreachable(redis_down, caplog):
    set_setting("payments.whitelist_only", True, value_type="boolean", actor=None)

    with caplog.at_level(logging.WARNING, logger="crm.core.cache"):
        value = get_setting("payments.whitelist_only")

    assert value is True
    assert "Cache unreachable" in caplog.text
    assert cache.get("anything", "missing") == "missing"


class OnePerHour(AnonRateThrottle):
    rate = "1/hour"


def test_throttles_allow_and_log_while_the_cache_is_unreachable(redis_down, caplog):
    request = APIRequestFactory().get("/api/public/anything", REMOTE_ADDR="203.0.113.9")
    request.user = AnonymousUser()

    with caplog.at_level(logging.WARNING, logger="crm.core.cache"):
        answers = [OnePerHour().allow_request(request, view=None) for _ in range(3)]

    assert answers == [True, True, True]
    assert "throttles allow every request" in caplog.text


def test_throttles_still_refuse_with_a_working_cache():
    cache.clear()
    request = APIRequestFactory().get("/api/public/anything", REMOTE_ADDR="203.0.113.10")
    request.user = AnonymousUser()

    answers = [OnePerHour().allow_request(request, view=None) for _ in range(2)]

    assert answers == [True, False]


def test_a_webhook_is_stored_and_acknowledged_with_redis_down_and_processed_by_the_sweep_later(
    client, redis_down, monkeypatch, django_capture_on_commit_callbacks
):
    from crm.core import work
    from crm.payments.work import WEBHOOKS

    wallet = WalletFactory()
    payment = services.start_deposit(
        wallet.customer, method=PaymentMethodFactory(), wallet=wallet, amount=Decimal("25.00"), actor=None
    )
    body, headers = get_adapter(payment.provider).webhook(payment)

    def broker_down(*args, **kwargs):
        raise kombu.exceptions.OperationalError(f"Error 111 connecting to {UNREACHABLE}. Connection refused.")

    monkeypatch.setattr(tasks.process_webhook_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("payments:webhook", args=["sandbox"]),
            data=body,
            content_type="application/json",
            HTTP_X_SANDBOX_SIGNATURE=headers["X-Sandbox-Signature"],
        )
    monkeypatch.undo()
    WebhookEvent.objects.update(next_attempt_at=None)  # Redis is back and the first wait is over
    with django_capture_on_commit_callbacks(execute=True):
        work.sweep(WEBHOOKS)

    assert (response.status_code, response.json()) == (200, {"received": True, "duplicate": False})
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("25.00")


def test_health_says_the_cache_is_degraded_while_redis_is_unreachable(api_client, redis_down):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["degraded"][0]) == ("degraded", "ok", "cache")
    assert body["cache"].startswith("error: ")
