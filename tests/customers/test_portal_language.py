"""The portal API answers in the client's language; anonymous callers get their Accept-Language."""

import pytest

from tests.customers.factories import PortalCustomerFactory, bearer
from tests.customers.portal import PASSWORD, url

pytestmark = pytest.mark.django_db


def test_an_anonymous_call_answers_in_the_accept_language(api_client):
    response = api_client.post(url("auth-log-in"), {}, format="json", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")

    assert response.status_code == 400
    assert response["Content-Language"] == "es"
    assert response.json()["error"]["fields"]["email"] == ["Este campo es requerido."]


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
