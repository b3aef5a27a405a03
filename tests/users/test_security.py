"""Portal security services: one-time tokens, lock-out, devices, recovery codes."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.users import security
from crm.users.models import LoginRecord, OneTimeToken
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db
Purpose = OneTimeToken.Purpose


def test_only_a_keyed_hash_of_a_token_is_stored():
    user = UserFactory()

    token, raw = security.issue_one_time_token(
        user, purpose=Purpose.PASSWORD_RESET, sent_to=user.email, lifetime=dt.timedelta(minutes=5)
    )

    assert raw not in token.token_hash
    assert token.token_hash == security.keyed_hash(raw)
    assert token.token_hash != __import__("hashlib").sha256(raw.encode()).hexdigest()


def test_a_token_is_used_once():
    user = UserFactory()
    _, raw = security.issue_one_time_token(
        user, purpose=Purpose.PASSWORD_RESET, sent_to=user.email, lifetime=dt.timedelta(minutes=5)
    )

    assert security.consume_token(raw, purpose=Purpose.PASSWORD_RESET).user == user
    with pytest.raises(security.InvalidToken) as refusal:
        security.consume_token(raw, purpose=Purpose.PASSWORD_RESET)
    assert refusal.value.code == "token_used"


def test_a_token_of_another_purpose_is_refused():
    user = UserFactory()
    _, raw = security.issue_one_time_token(
        user, purpose=Purpose.EMAIL_CONFIRMATION, sent_to=user.email, lifetime=dt.timedelta(minutes=5)
    )

    with pytest.raises(security.InvalidToken):
        security.consume_token(raw, purpose=Purpose.PASSWORD_RESET)


def test_a_wrong_code_is_counted_even_though_the_call_fails():
    user = UserFactory()
    security.issue_one_time_token(
        user, purpose=Purpose.PHONE_CONFIRMATION, sent_to="+1", lifetime=dt.timedelta(minutes=5), short_code=True
    )

    with pytest.raises(security.InvalidToken):
        security.consume_code(user, "abc", purpose=Purpose.PHONE_CONFIRMATION, sent_to="+1")

    assert OneTimeToken.objects.get().failed_attempts == 1


def _fail(email, minutes_ago=0):
    record = security.record_login(
        email=email, user=None, ip=None, user_agent="", result="failure", reason="bad_credentials"
    )
    LoginRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes_ago))


def test_lock_out_counts_recent_failures_of_the_email_only(settings):
    settings.PORTAL_LOGIN_FAILURE_LIMIT = 2
    settings.PORTAL_LOGIN_LOCKOUT_MINUTES = 30
    _fail("a@example.com", minutes_ago=45)
    _fail("a@example.com")
    _fail("b@example.com")

    assert security.is_locked_out("a@example.com") is False
    _fail("a@example.com")
    assert security.is_locked_out("A@Example.com") is True
    assert security.is_locked_out("b@example.com") is False


def test_the_same_browser_is_one_device():
    user = UserFactory()

    first = security.register_device(user, platform="web", user_agent="UA", web_timezone="UTC", ip="10.0.0.1")
    second = security.register_device(user, platform="web", user_agent="UA", web_timezone="UTC", ip="10.0.0.2")

    assert first.pk == second.pk
    second.refresh_from_db()
    assert second.ip_address == "10.0.0.2"


def test_recovery_codes_work_once_each(settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # django-otp slows retries after a wrong code
    user = UserFactory()
    codes = security.new_recovery_codes(user)

    assert security.verify_second_factor(user, codes[0]) is True
    assert security.verify_second_factor(user, codes[0]) is False
    assert security.verify_second_factor(user, codes[1]) is True
