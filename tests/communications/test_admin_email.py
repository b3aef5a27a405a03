"""Email admin: template form checks, preview, "Send test email", the log's changelist."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.communications.models import EmailMessage, EmailTemplate
from crm.core.roles import Role
from tests.communications.factories import EmailMessageFactory
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _form(**change):
    data = {
        "title": "Promo",
        "trigger": "deposit.completed",
        "recipient": "customer",
        "category": "marketing",
        "is_enabled": "on",
        "conditions": "{}",
        "subject": "Thanks for {{ amount }}",
        "mjml": "",
        "txt": "Hello {{ customer.first_name }}",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-language": "es",
        "variants-0-subject": "Gracias por {{ amount }}",
        "variants-0-mjml": "",
        "variants-0-txt": "Hola",
    }
    data.update(change)
    return data


def test_support_creates_a_template_with_a_variant_in_the_admin(client, support_agent):
    client.force_login(support_agent)

    response = client.post(reverse("admin:communications_emailtemplate_add"), _form())

    assert response.status_code == 302
    template = EmailTemplate.objects.get(title="Promo")
    assert list(template.variants.values_list("language", flat=True)) == ["es"]


@pytest.mark.parametrize(
    ("change", "_case"),
    [
        ({"subject": "{{ password }}"}, "unknown variable in the template"),
        ({"variants-0-txt": "{{ secret }}"}, "unknown variable in a variant"),
        ({"mjml": "<mjml><mj-body>"}, "broken MJML"),
    ],
)
def test_a_template_with_errors_is_shown_again_and_not_saved(client, support_agent, change, _case):
    client.force_login(support_agent)

    response = client.post(reverse("admin:communications_emailtemplate_add"), _form(**change))

    assert response.status_code == 200
    assert not EmailTemplate.objects.filter(title="Promo").exists()


def test_the_change_page_previews_the_template(client, support_agent):
    client.force_login(support_agent)
    template = EmailTemplate.objects.get(trigger="customer.email_confirmation_requested")

    response = client.get(reverse("admin:communications_emailtemplate_change", args=[template.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Confirm your email for Broker Back Office" in page
    assert "[link]" in page


def test_send_test_email_from_the_detail_page(client, support_agent, django_capture_on_commit_callbacks):
    client.force_login(support_agent)
    template = EmailTemplate.objects.get(trigger="deposit.completed")
    url = reverse("admin:communications_emailtemplate_send_test", args=[template.pk])

    refused = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"_form_submitted": "True", "to_email": "qa@broker.test", "language": "es"})

    assert refused.status_code in (200, 405)
    assert [m.to for m in mail.outbox] == [["qa@broker.test"]]
    assert mail.outbox[0].subject.startswith("Recibimos su depósito de [amount]")
    assert EmailMessage.objects.get().is_test is True


def test_finance_cannot_send_test_emails(client, finance_officer):
    client.force_login(finance_officer)
    template = EmailTemplate.objects.get(trigger="deposit.completed")

    client.post(
        reverse("admin:communications_emailtemplate_send_test", args=[template.pk]),
        {"_form_submitted": "True", "to_email": "qa@broker.test"},
    )

    assert mail.outbox == []


def test_the_email_log_changelist_is_scoped_and_flat(client):
    agent = staff_with_role(Role.SALES_AGENT)
    own = CustomerFactory(conversion_agent=agent)
    EmailMessageFactory(customer=own, subject="Mine")
    EmailMessageFactory(customer=CustomerFactory(), subject="Theirs")
    client.force_login(agent)
    url = reverse("admin:communications_emailmessage_changelist")
    client.get(url)

    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    EmailMessageFactory.create_batch(10, customer=own)
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert [m.subject for m in response.context["cl"].result_list] == ["Mine"]
    assert len(many) == len(few)


def test_staff_find_an_email_by_the_providers_message_id_with_its_index(client, admin_staff):
    EmailMessageFactory(subject="Found", provider_message_id="Msg-ABC")
    EmailMessageFactory(subject="Other", provider_message_id="msg-abc-2")
    client.force_login(admin_staff)
    url = reverse("admin:communications_emailmessage_changelist")

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"q": "Msg-ABC"})

    assert [m.subject for m in response.context["cl"].result_list] == ["Found"]
    searched = " ".join(q["sql"] for q in queries)
    # Compared as it is (not UPPER(...) = UPPER(...)), which its B-tree index serves.
    assert '"communications_emailmessage"."provider_message_id" = ' in searched


def test_an_admin_switches_the_email_provider_and_secrets_stay_hidden(client, admin_staff):
    from crm.communications import providers
    from crm.core.models import Setting

    client.force_login(admin_staff)
    url = reverse("admin:communications_email_provider")
    form = {
        "provider": "brevo",
        "sender": "no-reply@broker.test",
        "staff_email": "desk@broker.test",
        "api_key": "xk-1",
    }

    saved = client.post(url, form)
    page = client.get(url)

    assert saved.status_code == 302
    assert providers.current_provider() == "brevo"
    assert "xk-1" not in page.content.decode()
    assert Setting.objects.get(key="email.brevo.api_key").is_secret is True


def test_the_provider_page_refuses_missing_fields_and_other_roles(client, admin_staff, support_agent):
    from crm.communications import providers

    url = reverse("admin:communications_email_provider")
    client.force_login(admin_staff)
    missing = client.post(url, {"provider": "smtp", "sender": "a@broker.test"})
    client.force_login(support_agent)
    refused = client.get(url)

    assert missing.status_code == 200
    assert "host" in missing.context["form"].errors
    assert providers.current_provider() == "default"
    assert refused.status_code == 403
