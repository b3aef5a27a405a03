"""Back-office API of email templates, triggers, preview, test email, the log and the provider."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.communications.models import EmailMessage, EmailTemplate
from crm.core.models import Setting
from crm.core.roles import Role
from tests.communications.factories import EmailMessageFactory, EmailTemplateFactory
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LIST = reverse("backoffice:emailtemplate-list")
MJML = (
    "<mjml><mj-body><mj-section><mj-column><mj-text>{{ amount }}</mj-text></mj-column></mj-section></mj-body></mjml>"
)


@pytest.fixture
def admin_api(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)
    return api_client


def test_the_triggers_list_every_event_with_its_variables(admin_api):
    response = admin_api.get(reverse("backoffice:emailtemplate-triggers"))

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert "customer.first_name" in rows["deposit.completed"]["variables"]
    assert "amount" in rows["deposit.completed"]["variables"]
    assert rows["customer.password_reset_requested"]["sensitive"] is True


def test_creating_a_template_with_language_variants(admin_api):
    body = {
        "title": "Deposit",
        "trigger": "deposit.completed",
        "enabled": True,
        "conditions": {"is_first": True},
        "subject": "Got {{ amount }}",
        "mjml": MJML,
        "txt": "Got {{ amount }} {{ currency }}",
        "variants": [{"language": "es", "subject": "Recibido {{ amount }}", "mjml": "", "txt": "Hola"}],
    }

    response = admin_api.post(LIST, body, format="json")

    assert response.status_code == 201, response.json()
    template = EmailTemplate.objects.get(pk=response.json()["id"])
    assert (template.conditions, template.is_enabled) == ({"is_first": True}, True)
    assert list(template.variants.values_list("language", "subject")) == [("es", "Recibido {{ amount }}")]


@pytest.mark.parametrize(
    ("change", "field", "_case"),
    [
        ({"subject": "Hi {{ password }}"}, "subject", "unknown variable"),
        ({"txt": "{{ customer.secret }}"}, "txt", "unknown attribute of the client"),
        ({"txt": "{% for %}"}, "txt", "syntax error"),
        ({"mjml": "<mjml><mj-body>"}, "mjml", "broken MJML"),
        ({"trigger": "nothing.happened"}, "trigger", "unknown trigger"),
        ({"conditions": {"colour": "red"}}, "conditions", "condition on a field the event lacks"),
        ({"trigger": "leads.imported", "subject": "x", "txt": "", "mjml": ""}, "recipient", "no client to send to"),
    ],
)
def test_a_template_with_errors_is_refused_with_field_errors(admin_api, change, field, _case):
    body = {"title": "T", "trigger": "deposit.completed", "subject": "S", "txt": "{{ amount }}", "mjml": "", **change}

    response = admin_api.post(LIST, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not EmailTemplate.objects.filter(title="T").exists()


def test_a_variant_with_an_unknown_variable_is_refused_and_nothing_changes(admin_api):
    template = EmailTemplateFactory()
    body = {"variants": [{"language": "ar", "subject": "{{ nope }}", "txt": "", "mjml": ""}]}

    response = admin_api.patch(reverse("backoffice:emailtemplate-detail", args=[template.pk]), body, format="json")

    assert response.status_code == 400
    assert "variants.0.subject" in response.json()["error"]["fields"]
    assert template.variants.count() == 0


def test_updating_and_deleting_a_template(admin_api):
    template = EmailTemplateFactory()
    detail = reverse("backoffice:emailtemplate-detail", args=[template.pk])

    patched = admin_api.patch(detail, {"enabled": False, "subject": "New {{ amount }}"}, format="json")
    deleted = admin_api.delete(detail)

    assert (patched.status_code, patched.json()["enabled"], patched.json()["subject"]) == (
        200,
        False,
        "New {{ amount }}",
    )
    assert deleted.status_code == 204
    assert not EmailTemplate.objects.filter(pk=template.pk).exists()


def test_preview_renders_sample_values_in_the_language_asked(admin_api):
    template = EmailTemplate.objects.get(trigger="customer.password_reset_requested")

    response = admin_api.get(reverse("backoffice:emailtemplate-preview", args=[template.pk]), {"language": "es"})

    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "es"
    assert body["subject"] == "Restablezca su contraseña de Broker Back Office"
    assert "[link]" in body["html"]
    assert body["html"].startswith("<!doctype html>")


def test_send_test_email(admin_api, django_capture_on_commit_callbacks):
    template = EmailTemplate.objects.get(trigger="kyc.approved")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            reverse("backoffice:emailtemplate-send-test", args=[template.pk]),
            {"to_email": "qa@broker.test", "language": "ar"},
            format="json",
        )

    assert response.status_code == 202
    assert response.json()["is_test"] is True
    assert mail.outbox[0].to == ["qa@broker.test"]
    assert EmailMessage.objects.get().language == "ar"


def test_roles_without_the_permission_cannot_change_templates(api_client):
    api_client.force_authenticate(staff_with_role(Role.FINANCE))
    template = EmailTemplateFactory()

    listed = api_client.get(LIST)
    changed = api_client.patch(reverse("backoffice:emailtemplate-detail", args=[template.pk]), {"title": "x"})
    tested = api_client.post(reverse("backoffice:emailtemplate-send-test", args=[template.pk]), {"to_email": "a@b.c"})

    assert (listed.status_code, changed.status_code, tested.status_code) == (200, 403, 403)
    assert mail.outbox == []


def _queries(client, url) -> int:
    client.get(url)  # the user's permissions are cached after the first request
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_template_list_queries_do_not_grow(admin_api):
    EmailTemplateFactory.create_batch(3)
    few = _queries(admin_api, LIST)
    EmailTemplateFactory.create_batch(20)

    assert _queries(admin_api, LIST) == few == 3  # count, page, variants


def test_an_agent_sees_only_the_emails_of_own_clients(api_client, sales_agent):
    url = reverse("backoffice:emailmessage-list")
    own = EmailMessageFactory(customer=CustomerFactory(conversion_agent=sales_agent))
    EmailMessageFactory(customer=CustomerFactory())
    EmailMessageFactory()
    api_client.force_authenticate(sales_agent)

    response = api_client.get(url)
    few = _queries(api_client, url)
    EmailMessageFactory.create_batch(10, customer=own.customer)

    assert [row["id"] for row in response.json()["results"]] == [own.pk]
    assert _queries(api_client, url) == few


def test_email_provider_is_set_with_the_seeds_fields_and_secrets_never_return(admin_api):
    url = reverse("backoffice:emailprovider-current")
    body = {
        "provider": "mailgun",
        "sender": "Broker <no-reply@mg.broker.test>",
        "api_key": "key-123",
        "domain": "mg.broker.test",
        "username": "postmaster@mg.broker.test",
        "staff_email": "desk@broker.test",
    }

    response = admin_api.put(url, body, format="json")

    assert response.status_code == 200
    data = response.json()
    assert data["provider"] == "mailgun"
    assert data["mailgun"]["api_key_set"] is True
    assert "key-123" not in response.content.decode()
    stored = Setting.objects.get(key="email.mailgun.api_key")
    assert stored.is_secret
    assert "key-123" not in stored.stored_value


def test_email_provider_refuses_missing_fields_and_changes_nothing(admin_api):
    response = admin_api.put(reverse("backoffice:emailprovider-current"), {"provider": "smtp", "sender": "a@b.c"})

    assert response.status_code == 400
    assert {"host", "port", "username", "password", "secure", "staff_email"} <= set(response.json()["error"]["fields"])
    assert not Setting.objects.filter(key__startswith="email.").exists()
