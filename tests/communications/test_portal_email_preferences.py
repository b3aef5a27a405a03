"""The portal's email preferences: a client turns marketing email off and on for themselves only."""

import pytest
from django.core import mail
from django.urls import reverse_lazy

from crm.communications.models import EmailMessage, EmailOptOut
from crm.communications.services import email as email_services
from crm.core.models import Activity
from tests.communications.factories import EmailTemplateFactory
from tests.communications.test_email_sending import _deposit
from tests.customers.factories import PortalCustomerFactory, bearer

pytestmark = pytest.mark.django_db
PREFERENCES = reverse_lazy("portal:email-preferences")


def test_a_client_reads_and_changes_their_own_marketing_opt_out(api_client):
    customer, other = PortalCustomerFactory(), PortalCustomerFactory()
    EmailOptOut.objects.create(customer=other)
    bearer(api_client, customer)

    assert api_client.get(PREFERENCES).json() == {"marketing_opt_out": False}
    changed = api_client.post(PREFERENCES, {"marketing_opt_out": True}, format="json")

    assert (changed.status_code, changed.json()) == (200, {"marketing_opt_out": True})
    assert api_client.get(PREFERENCES).json() == {"marketing_opt_out": True}
    assert set(EmailOptOut.objects.values_list("customer", flat=True)) == {customer.pk, other.pk}
    assert Activity.objects.filter(action="customer.marketing_email_opt_out", target_id=str(customer.pk)).exists()

    back = api_client.post(PREFERENCES, {"marketing_opt_out": False}, format="json")

    assert back.json() == {"marketing_opt_out": False}
    assert list(EmailOptOut.objects.values_list("customer", flat=True)) == [other.pk]


def test_a_bad_body_is_refused_and_changes_nothing(api_client):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)

    response = api_client.post(PREFERENCES, {"marketing_opt_out": "maybe"}, format="json")

    assert response.status_code == 400
    assert "marketing_opt_out" in str(response.json())
    assert not EmailOptOut.objects.exists()


def test_staff_and_strangers_have_no_email_preferences(api_client, admin_staff):
    assert api_client.get(PREFERENCES).status_code == 401
    api_client.force_authenticate(admin_staff)
    assert api_client.post(PREFERENCES, {"marketing_opt_out": True}, format="json").status_code == 403
    assert not EmailOptOut.objects.exists()


def test_an_opted_out_client_still_gets_transactional_email(api_client, django_capture_on_commit_callbacks):
    customer = PortalCustomerFactory()
    bearer(api_client, customer)
    api_client.post(PREFERENCES, {"marketing_opt_out": True}, format="json")
    EmailTemplateFactory(title="promo", category="marketing")
    EmailTemplateFactory(title="receipt", category="transactional")

    with django_capture_on_commit_callbacks(execute=True):
        email_services.queue_event_emails(_deposit(customer))

    statuses = dict(
        EmailMessage.objects.filter(template__title__in=["promo", "receipt"]).values_list("template__title", "status")
    )
    assert statuses == {"promo": "opted_out", "receipt": "sent"}
    assert customer.email in {sent.to[0] for sent in mail.outbox}
