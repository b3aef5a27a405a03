"""The portal API answers in the client's language; anonymous callers get their Accept-Language."""

import pytest
from django.core import mail

from tests.customers.factories import PortalCustomerFactory, bearer
from tests.customers.portal import PASSWORD, url

pytestmark = pytest.mark.django_db


def test_an_anonymous_call_answers_in_the_accept_language(api_client):
    response = api_client.post(url("auth-log-in"), {}, format="json", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")

    assert response.status_code == 400
    assert response["Content-Language"] == "es"
    assert response.json()["error"]["fields"]["email"] == ["Este campo es obligatorio."]


def test_an_anonymous_call_in_a_language_we_do_not_speak_answers_in_english(api_client):
    response = api_client.post(url("auth-log-in"), {}, format="json", HTTP_ACCEPT_LANGUAGE="de")

    assert response["Content-Language"] == "en"
    assert response.json()["error"]["fields"]["email"] == ["This field is required."]


def test_a_client_gets_answers_in_their_own_language_whatever_the_browser_says(api_client):
    customer = PortalCustomerFactory(language="es")
    bearer(api_client, customer)

    response = api_client.get(url("document-detail", 999999), HTTP_ACCEPT_LANGUAGE="ar")

    assert response.status_code == 404
    assert response["Content-Language"] == "es"
    assert response.json()["error"]["message"] == "No encontrado."


def test_a_client_whose_language_we_do_not_speak_gets_the_accept_language(api_client):
    customer = PortalCustomerFactory(language="de")
    bearer(api_client, customer)

    response = api_client.get(url("document-detail", 999999), HTTP_ACCEPT_LANGUAGE="ar")

    assert response["Content-Language"] == "ar"
    assert response.json()["error"]["message"] == "غير موجود."


def test_sign_up_keeps_the_language_the_client_signed_up_in(api_client, django_capture_on_commit_callbacks):
    from crm.customers.models import Customer

    body = {"form": "demo", "email": "nueva@example.com", "password": PASSWORD, "first_name": "Ana"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(url("auth-sign-up"), body, format="json", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 201, response.json()
    assert Customer.objects.get(email="nueva@example.com").language == "es"


def test_a_client_gets_the_portal_s_own_refusals_in_their_language(api_client):
    customer = PortalCustomerFactory(language="es", phone="")
    bearer(api_client, customer)

    response = api_client.post(url("auth-send-phone-code"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "phone_missing",
        "message": "Añada primero un número de teléfono.",
        "fields": {"phone": ["Obligatorio."]},
    }


def test_an_arabic_client_gets_refusals_in_arabic(api_client):
    customer = PortalCustomerFactory(language="ar", phone="")
    bearer(api_client, customer)

    response = api_client.post(url("auth-send-phone-code"))

    assert response["Content-Language"] == "ar"
    assert response.json()["error"]["message"] == "أضف رقم هاتف أولًا."


def test_an_anonymous_refusal_of_our_own_answers_in_the_accept_language(api_client):
    body = {"reset_token": "not-a-token", "password": PASSWORD, "password_confirmation": PASSWORD}

    response = api_client.post(url("auth-reset-password"), body, format="json", HTTP_ACCEPT_LANGUAGE="ar")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "الرابط أو الرمز غير صالح."  # "The link or code is not valid."


def test_the_password_reset_email_is_in_the_client_s_language_whatever_the_caller_s(
    api_client, django_capture_on_commit_callbacks
):
    customer = PortalCustomerFactory(language="es", first_name="Ana")

    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(
            url("auth-request-password-reset"), {"contact": customer.email}, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )

    (email,) = mail.outbox
    assert email.subject.startswith("Restablezca su contraseña de ")
    assert email.body.startswith("Hola Ana:\n\nDefina una nueva contraseña aquí:\n")
    assert "Si no lo solicitó, ignore este correo." in email.body


def test_the_confirmation_email_of_a_spanish_sign_up_is_in_spanish(api_client, django_capture_on_commit_callbacks):
    body = {"form": "demo", "email": "nuevo@example.com", "password": PASSWORD, "first_name": "Luis"}
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(url("auth-sign-up"), body, format="json", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")

    (email,) = mail.outbox
    assert email.subject.startswith("Confirme su correo para ")
    assert "Confirme su dirección de correo abriendo este enlace:" in email.body


def test_an_email_to_a_client_whose_language_we_do_not_speak_is_in_english(
    api_client, django_capture_on_commit_callbacks
):
    customer = PortalCustomerFactory(language="de")

    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(
            url("auth-request-password-reset"), {"contact": customer.email}, format="json", HTTP_ACCEPT_LANGUAGE="es"
        )

    assert mail.outbox[0].subject.startswith("Reset your ")
