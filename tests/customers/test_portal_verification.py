"""Email and phone confirmation, password reset and change through the portal API."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from crm.core.models import OutboxEvent
from crm.customers import services
from crm.customers.models import Customer
from crm.users import security
from crm.users.models import OneTimeToken
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.customers.portal import PASSWORD, token_in, url
from tests.users.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def _expire(purpose):
    OneTimeToken.objects.filter(purpose=purpose).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


# Email -------------------------------------------------------------------------------------------


@pytest.fixture
def unconfirmed(db):
    return PortalCustomerFactory(status=Customer.Status.INACTIVE, confirmed_at=None)


def _mail_token(customer, capture) -> str:
    with capture(execute=True):
        services.send_email_confirmation(customer)
    return token_in(mail.outbox[-1].body)


def test_email_token_confirms_the_email_and_activates_the_client(
    api_client, unconfirmed, django_capture_on_commit_callbacks
):
    token = _mail_token(unconfirmed, django_capture_on_commit_callbacks)

    response = api_client.post(url("auth-verify-email"), {"token": token}, format="json")

    assert response.status_code == 200
    unconfirmed.refresh_from_db()
    assert unconfirmed.confirmed_at is not None
    assert unconfirmed.status == Customer.Status.ACTIVE
    assert OutboxEvent.objects.filter(name="customer.email_confirmed").count() == 1
    assert not OneTimeToken.objects.filter(token_hash=token).exists()  # only a keyed hash is stored


@pytest.mark.parametrize(
    ("spoil", "code", "_case"),
    [
        ("reuse", "token_used", "used twice"),
        ("expire", "token_expired", "expired"),
        ("wrong", "invalid_token", "wrong token"),
        ("resend", "token_used", "superseded by a new link"),
    ],
)
def test_bad_email_tokens_are_refused(api_client, unconfirmed, django_capture_on_commit_callbacks, spoil, code, _case):
    token = _mail_token(unconfirmed, django_capture_on_commit_callbacks)
    if spoil == "reuse":
        api_client.post(url("auth-verify-email"), {"token": token}, format="json")
        Customer.objects.filter(pk=unconfirmed.pk).update(confirmed_at=None, status=Customer.Status.INACTIVE)
    elif spoil == "expire":
        _expire(OneTimeToken.Purpose.EMAIL_CONFIRMATION)
    elif spoil == "wrong":
        token = "not-a-token"
    else:
        _mail_token(unconfirmed, django_capture_on_commit_callbacks)

    response = api_client.post(url("auth-verify-email"), {"token": token}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    unconfirmed.refresh_from_db()
    assert unconfirmed.confirmed_at is None


def test_a_token_sent_to_an_old_email_is_refused(api_client, unconfirmed, django_capture_on_commit_callbacks):
    token = _mail_token(unconfirmed, django_capture_on_commit_callbacks)
    Customer.objects.filter(pk=unconfirmed.pk).update(email="new@example.com")

    response = api_client.post(url("auth-verify-email"), {"token": token}, format="json")

    assert response.status_code == 400


def test_logged_in_client_resends_the_email_and_reads_the_status(
    api_client, unconfirmed, django_capture_on_commit_callbacks
):
    bearer(api_client, unconfirmed)

    with django_capture_on_commit_callbacks(execute=True):
        resend = api_client.post(url("auth-resend-email"), {}, format="json")
    status = api_client.get(url("auth-email-status"))

    assert resend.status_code == 200
    assert mail.outbox[-1].to == [unconfirmed.email]
    assert status.json() == {"email": unconfirmed.email, "confirmed": False, "confirmed_at": None}


def test_resend_to_a_confirmed_email_is_refused(api_client):
    customer = PortalCustomerFactory(confirmed_at=timezone.now())
    bearer(api_client, customer)

    response = api_client.post(url("auth-resend-email"), {}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (409, "already_confirmed")


def test_anonymous_resend_answers_the_same_for_unknown_emails(
    api_client, unconfirmed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = api_client.post(url("auth-resend-email"), {"email": unconfirmed.email}, format="json")
        unknown = api_client.post(url("auth-resend-email"), {"email": "nobody@example.com"}, format="json")

    assert known.json() == unknown.json() == {"success": True}
    assert [message.to for message in mail.outbox] == [[unconfirmed.email]]


def test_email_status_needs_a_logged_in_client(api_client):
    assert api_client.get(url("auth-email-status")).status_code == 401


# Phone -------------------------------------------------------------------------------------------


def _send_code(api_client, capture, outbox) -> str:
    with capture(execute=True):
        assert api_client.post(url("auth-send-phone-code")).status_code == 200
    return outbox[-1][1].rsplit(" ", 1)[-1]


def test_phone_code_confirms_the_phone(api_client, sms_outbox, django_capture_on_commit_callbacks):
    customer = PortalCustomerFactory(phone="+447911000001")
    bearer(api_client, customer)
    code = _send_code(api_client, django_capture_on_commit_callbacks, sms_outbox)

    response = api_client.post(url("auth-verify-phone"), {"code": code}, format="json")

    assert sms_outbox[-1][0] == "+447911000001"
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.phone_confirmed_at is not None


def test_wrong_phone_codes_are_counted_and_five_kill_the_code(
    api_client, sms_outbox, django_capture_on_commit_callbacks
):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)
    code = _send_code(api_client, django_capture_on_commit_callbacks, sms_outbox)
    wrong = "000000" if code != "000000" else "111111"

    answers = [api_client.post(url("auth-verify-phone"), {"code": wrong}, format="json") for _ in range(5)]
    right = api_client.post(url("auth-verify-phone"), {"code": code}, format="json")

    assert [a.json()["error"]["code"] for a in answers] == ["invalid_code"] * 5
    assert right.status_code == 400
    customer.refresh_from_db()
    assert customer.phone_confirmed_at is None


def test_an_expired_phone_code_is_refused(api_client, sms_outbox, django_capture_on_commit_callbacks):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)
    code = _send_code(api_client, django_capture_on_commit_callbacks, sms_outbox)
    _expire(OneTimeToken.Purpose.PHONE_CONFIRMATION)

    response = api_client.post(url("auth-verify-phone"), {"code": code}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "token_expired")


def test_a_code_for_a_changed_phone_is_refused(api_client, sms_outbox, django_capture_on_commit_callbacks):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)
    code = _send_code(api_client, django_capture_on_commit_callbacks, sms_outbox)
    Customer.objects.filter(pk=customer.pk).update(phone="+447911999999")

    response = api_client.post(url("auth-verify-phone"), {"code": code}, format="json")

    assert response.status_code == 400


def test_a_client_without_a_phone_cannot_ask_for_a_code(api_client):
    customer = PortalCustomerFactory(phone="")
    bearer(api_client, customer)

    response = api_client.post(url("auth-send-phone-code"))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "phone_missing")


# Password ----------------------------------------------------------------------------------------


def _reset_by_email(api_client, customer, capture) -> str:
    with capture(execute=True):
        api_client.post(url("auth-request-password-reset"), {"contact": customer.email}, format="json")
    return token_in(mail.outbox[-1].body)


def _reset(api_client, token, password=PASSWORD, confirmation=None):
    body = {"reset_token": token, "password": password, "password_confirmation": confirmation or password}
    return api_client.post(url("auth-reset-password"), body, format="json")


def test_password_reset_by_email_sets_the_password_and_ends_sessions(api_client, django_capture_on_commit_callbacks):
    customer = PortalCustomerFactory()
    old = security.issue_tokens(customer.user)
    token = _reset_by_email(api_client, customer, django_capture_on_commit_callbacks)

    response = _reset(api_client, token)

    assert response.status_code == 200
    customer.user.refresh_from_db()
    assert customer.user.check_password(PASSWORD)
    assert api_client.post(url("auth-refresh"), {"refresh": old["refresh"]}, format="json").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert api_client.get(url("account-profile")).status_code == 401


def test_password_reset_by_phone_sends_the_token_by_text(api_client, sms_outbox, django_capture_on_commit_callbacks):
    customer = PortalCustomerFactory(phone="+447911000002")
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(url("auth-request-password-reset"), {"contact": "+44 7911 000002"}, format="json")

    response = _reset(api_client, token_in(sms_outbox[-1][1]))

    assert response.status_code == 200
    assert mail.outbox == []
    customer.user.refresh_from_db()
    assert customer.user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("spoil", "code", "_case"),
    [
        ("reuse", "token_used", "used twice"),
        ("expire", "token_expired", "expired"),
        ("wrong", "invalid_token", "wrong"),
    ],
)
def test_bad_reset_tokens_are_refused(api_client, django_capture_on_commit_callbacks, spoil, code, _case):
    customer = PortalCustomerFactory()
    token = _reset_by_email(api_client, customer, django_capture_on_commit_callbacks)
    if spoil == "reuse":
        assert _reset(api_client, token, "first new passphrase 1").status_code == 200
    elif spoil == "expire":
        _expire(OneTimeToken.Purpose.PASSWORD_RESET)
    else:
        token = "x" * 43

    response = _reset(api_client, token)

    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    customer.user.refresh_from_db()
    assert not customer.user.check_password(PASSWORD)


def test_a_weak_or_mismatched_new_password_keeps_the_token_usable(api_client, django_capture_on_commit_callbacks):
    customer = PortalCustomerFactory()
    token = _reset_by_email(api_client, customer, django_capture_on_commit_callbacks)

    weak = _reset(api_client, token, "12345")
    mismatch = _reset(api_client, token, PASSWORD, "something else entirely")
    good = _reset(api_client, token)

    assert weak.json()["error"]["fields"]["password"]
    assert mismatch.json()["error"]["fields"] == {"password_confirmation": ["The passwords differ."]}
    assert good.status_code == 200


def test_reset_request_answers_the_same_for_unknown_contacts(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            url("auth-request-password-reset"), {"contact": "nobody@example.com"}, format="json"
        )

    assert response.json() == {"success": True}
    assert mail.outbox == []


def test_password_change_needs_the_current_password(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    wrong = api_client.post(
        url("auth-change-password"), {"current_password": "nope", "new_password": PASSWORD}, format="json"
    )
    right = api_client.post(
        url("auth-change-password"), {"current_password": DEFAULT_PASSWORD, "new_password": PASSWORD}, format="json"
    )

    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "wrong_password")
    assert right.status_code == 200
    assert set(right.json()) == {"access", "refresh"}
    customer.user.refresh_from_db()
    assert customer.user.check_password(PASSWORD)
