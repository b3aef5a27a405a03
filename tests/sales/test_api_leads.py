"""Back-office leads API: contract, scoping, and each way of working a lead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm.core.models import OutboxEvent
from crm.sales.models import Lead
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory, SalesStatusFactory
from tests.sales.factories import DeskFactory, LeadFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("backoffice:lead-list")


def detail(lead: Lead, action: str = "") -> str:
    if action:
        return reverse(f"backoffice:lead-{action}", args=[lead.pk])
    return reverse("backoffice:lead-detail", args=[lead.pk])


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_anonymous_is_refused(api_client):
    assert api_client.get(LIST_URL).status_code in (401, 403)


def test_staff_without_lead_permission_is_refused(api_client, compliance_officer):
    api_client.force_authenticate(compliance_officer)

    assert api_client.get(LIST_URL).status_code == 403


def test_agent_lists_only_own_leads_and_desk_pool(api_client, sales_agent, other_sales_agent):
    desk = DeskFactory(members=[sales_agent])
    own = LeadFactory(sales_person=sales_agent)
    pool = LeadFactory(desk=desk)
    LeadFactory(sales_person=other_sales_agent)
    LeadFactory(desk=desk, sales_person=other_sales_agent)
    LeadFactory()
    api_client.force_authenticate(sales_agent)

    assert sorted(ids(api_client.get(LIST_URL))) == sorted([own.pk, pool.pk])


def test_desk_manager_sees_the_desk_leads(api_client, sales_agent, other_sales_agent):
    desk = DeskFactory(manager=sales_agent)
    team_lead = LeadFactory(desk=desk, sales_person=other_sales_agent)
    LeadFactory(sales_person=other_sales_agent)
    api_client.force_authenticate(sales_agent)

    assert ids(api_client.get(LIST_URL)) == [team_lead.pk]


def test_another_agents_lead_answers_404(api_client, sales_agent, other_sales_agent):
    lead = LeadFactory(sales_person=other_sales_agent)
    api_client.force_authenticate(sales_agent)

    assert api_client.get(detail(lead)).status_code == 404
    assert api_client.post(detail(lead, "claim")).status_code == 404
    assert api_client.post(detail(lead, "comments"), {"comment": "hi"}).status_code == 404


def test_list_queries_do_not_grow_with_rows(api_client, sales_manager, django_assert_num_queries):
    status = SalesStatusFactory()
    desk = DeskFactory()
    LeadFactory.create_batch(2, sales_status=status, desk=desk, sales_person=sales_manager)
    api_client.force_authenticate(sales_manager)
    api_client.get(LIST_URL)  # warm the permission cache
    with django_assert_num_queries(2):
        api_client.get(LIST_URL)
    LeadFactory.create_batch(20, sales_status=status, desk=desk, sales_person=sales_manager)
    with django_assert_num_queries(2):
        api_client.get(LIST_URL)


@pytest.mark.parametrize(
    ("filter_case", "params", "expected"),
    [
        ("status", lambda d: {"sales_status_id": d["status"].pk}, ["a"]),
        ("sales_person", lambda d: {"sales_person_id": d["agent"].pk}, ["b"]),
        ("source", lambda d: {"source": "google"}, ["a"]),
        ("country", lambda d: {"country": "DE"}, ["b"]),
        ("search_email", lambda d: {"search": "alpha@"}, ["a"]),
        ("search_phone", lambda d: {"search": "+4915"}, ["b"]),
        ("mine", lambda d: {"only_assigned_to_me": "true"}, ["c"]),
        ("duplicate", lambda d: {"is_duplicate": "true"}, ["c"]),
    ],
)
def test_list_filters(api_client, sales_manager, filter_case, params, expected):
    status = SalesStatusFactory()
    agent = staff_with_role("Sales Agent")
    leads = {
        "a": LeadFactory(email="alpha@example.com", sales_status=status, source="google"),
        "b": LeadFactory(email="beta@example.com", phone="+4915112345678", country="DE", sales_person=agent),
        "c": LeadFactory(email="gamma@example.com", sales_person=sales_manager, duplicate_score=50),
    }
    api_client.force_authenticate(sales_manager)

    response = api_client.get(LIST_URL, params({"status": status, "agent": agent}))

    assert sorted(ids(response)) == sorted(leads[key].pk for key in expected)


def test_create_flags_and_links_a_duplicate(api_client, sales_manager):
    first = LeadFactory(email="dup@example.com")
    api_client.force_authenticate(sales_manager)

    response = api_client.post(LIST_URL, {"name": "Ann Lee", "email": "Dup@example.com", "source": "web"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["first_name"], body["last_name"], body["email"]) == ("Ann", "Lee", "dup@example.com")
    assert (body["is_duplicate"], body["duplicate_of_id"]) == (True, first.pk)


def test_create_with_a_bad_phone_answers_field_errors(api_client, sales_manager):
    api_client.force_authenticate(sales_manager)

    response = api_client.post(LIST_URL, {"email": "ok@example.com", "phone": "123"})

    assert response.status_code == 400
    assert "phone" in response.json()["error"]["fields"]
    assert not Lead.objects.exists()


def test_agent_creating_a_lead_gets_it(api_client, sales_agent):
    api_client.force_authenticate(sales_agent)

    response = api_client.post(LIST_URL, {"email": "mine@example.com"})

    assert response.status_code == 201
    assert response.json()["sales_person_id"] == sales_agent.pk


def test_agent_cannot_assign_through_create_or_update(api_client, sales_agent, other_sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    api_client.force_authenticate(sales_agent)

    created = api_client.post(LIST_URL, {"email": "x@example.com", "sales_person_id": other_sales_agent.pk})
    updated = api_client.patch(detail(lead), {"sales_person_id": other_sales_agent.pk})

    assert (created.status_code, updated.status_code) == (403, 403)
    lead.refresh_from_db()
    assert lead.sales_person_id == sales_agent.pk


def test_update_changes_fields(api_client, sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.patch(detail(lead), {"first_name": "Zoe", "phone": "07911 123456", "country": "GB"})

    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["phone"]) == ("Zoe", "+447911123456")


def test_agent_claims_a_pool_lead(api_client, sales_agent):
    lead = LeadFactory(desk=DeskFactory(members=[sales_agent]))
    api_client.force_authenticate(sales_agent)

    response = api_client.post(detail(lead, "claim"))

    assert response.status_code == 200
    assert response.json()["sales_person_id"] == sales_agent.pk


def test_claiming_a_lead_someone_has_answers_409(api_client, sales_manager, sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    api_client.force_authenticate(sales_manager)

    response = api_client.post(detail(lead, "claim"))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "lead_already_assigned"


def test_manager_assigns_and_agent_may_not(api_client, sales_manager, sales_agent, other_sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    api_client.force_authenticate(sales_agent)
    refused = api_client.post(detail(lead, "assign"), {"sales_person_id": other_sales_agent.pk})
    api_client.force_authenticate(sales_manager)

    response = api_client.post(detail(lead, "assign"), {"sales_person_id": other_sales_agent.pk})

    assert refused.status_code == 403
    assert response.status_code == 200
    assert response.json()["sales_person_id"] == other_sales_agent.pk
    assert OutboxEvent.objects.filter(name="lead.assigned", payload__lead_id=lead.pk).count() == 1


def test_change_status(api_client, sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    status = SalesStatusFactory(name="Interested")
    api_client.force_authenticate(sales_agent)

    response = api_client.post(detail(lead, "change-status"), {"sales_status_id": status.pk})

    assert response.status_code == 200
    assert response.json()["sales_status"] == {"id": status.pk, "name": "Interested", "color": status.color}


def test_comments_are_added_and_listed(api_client, sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    api_client.force_authenticate(sales_agent)

    created = api_client.post(detail(lead, "comments"), {"comment": "Called", "is_contact": True})
    listed = api_client.get(detail(lead, "comments"))

    assert created.status_code == 201
    assert [row["comment"] for row in listed.json()["results"]] == ["Called"]
    lead.refresh_from_db()
    assert lead.last_contact_at is not None


def test_email_is_sent_and_listed_in_communications(api_client, sales_agent, django_capture_on_commit_callbacks):
    lead = LeadFactory(sales_person=sales_agent, email="reader@example.com")
    api_client.force_authenticate(sales_agent)

    with django_capture_on_commit_callbacks(execute=True):
        sent = api_client.post(detail(lead, "send-email"), {"subject": "Offer", "body": "Hello"})
    listed = api_client.get(detail(lead, "communications"))

    assert sent.status_code == 201
    assert mail.outbox[0].subject == "Offer"
    assert [(row["channel"], row["subject"]) for row in listed.json()["results"]] == [("email", "Offer")]


def test_follow_up_appears_in_the_agents_reminder_list(api_client, sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    LeadFactory(sales_person=sales_agent, follow_up_at=timezone.now() + dt.timedelta(days=5))
    api_client.force_authenticate(sales_agent)
    soon = (timezone.now() - dt.timedelta(minutes=5)).isoformat()

    api_client.post(detail(lead, "follow-up"), {"follow_up_at": soon, "note": "Call back"})
    response = api_client.get(reverse("backoffice:lead-follow-ups"))

    assert ids(response) == [lead.pk]


def test_history_lists_the_actions(api_client, sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    api_client.force_authenticate(sales_agent)
    api_client.post(detail(lead, "comments"), {"comment": "First note"})

    response = api_client.get(detail(lead, "history"))

    assert [row["action"] for row in response.json()["results"]] == ["lead.commented"]


def test_merge_needs_both_leads_visible(api_client, sales_manager):
    keep, other = LeadFactory(), LeadFactory()
    api_client.force_authenticate(sales_manager)

    response = api_client.post(detail(keep, "merge"), {"other_id": other.pk})

    assert response.status_code == 200
    other.refresh_from_db()
    assert other.merged_into_id == keep.pk
    assert other.pk not in ids(api_client.get(LIST_URL))


def test_agent_may_not_merge(api_client, sales_agent):
    keep, other = LeadFactory(sales_person=sales_agent), LeadFactory(sales_person=sales_agent)
    api_client.force_authenticate(sales_agent)

    assert api_client.post(detail(keep, "merge"), {"other_id": other.pk}).status_code == 403


def test_bulk_edit_changes_only_visible_matching_leads(api_client, sales_agent, other_sales_agent):
    sales_agent.user_permissions.add(*_perms("bulk_edit_leads"))
    status, new_status = SalesStatusFactory(), SalesStatusFactory()
    mine = LeadFactory(sales_person=sales_agent, sales_status=status, country="DE")
    LeadFactory(sales_person=sales_agent, sales_status=status, country="FR")
    theirs = LeadFactory(sales_person=other_sales_agent, sales_status=status, country="DE")
    api_client.force_authenticate(sales_agent)

    response = api_client.post(
        reverse("backoffice:lead-bulk-edit"),
        {"selected_status": new_status.pk, "statuses": [status.pk], "country": "DE", "only_assigned_to_me": True},
    )

    assert response.json() == {"success": True, "updated": 1}
    assert Lead.objects.get(pk=mine.pk).sales_status_id == new_status.pk
    assert Lead.objects.get(pk=theirs.pk).sales_status_id == status.pk


def test_bulk_edit_refuses_an_agent_without_the_permission(api_client, sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    api_client.force_authenticate(sales_agent)

    response = api_client.post(reverse("backoffice:lead-bulk-edit"), {"selected_status": SalesStatusFactory().pk})

    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).sales_status_id is None


def test_bulk_edit_with_modified_range_and_sales_person(api_client, sales_manager, sales_agent):
    old = LeadFactory()
    Lead.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=10))
    recent = LeadFactory()
    api_client.force_authenticate(sales_manager)

    response = api_client.post(
        reverse("backoffice:lead-bulk-edit"),
        {
            "selected_sales_person": sales_agent.pk,
            "modified_before": (timezone.now() - dt.timedelta(days=1)).isoformat(),
        },
    )

    assert response.json()["updated"] == 1
    assert Lead.objects.get(pk=old.pk).sales_person_id == sales_agent.pk
    assert Lead.objects.get(pk=recent.pk).sales_person_id is None


def test_bulk_edit_without_a_change_answers_400(api_client, sales_manager):
    api_client.force_authenticate(sales_manager)

    response = api_client.post(reverse("backoffice:lead-bulk-edit"), {"country": "DE"})

    assert response.status_code == 400


def test_sources_are_scoped(api_client, sales_agent):
    LeadFactory(sales_person=sales_agent, source="google")
    LeadFactory(sales_person=sales_agent, source="google")
    LeadFactory(source="facebook")
    api_client.force_authenticate(sales_agent)

    assert api_client.get(reverse("backoffice:lead-sources")).json() == {"sources": ["google"]}


def test_sales_people_lists_staff_who_can_claim(api_client, sales_manager, sales_agent, compliance_officer):
    api_client.force_authenticate(sales_manager)

    response = api_client.get(reverse("backoffice:lead-sales-people"))

    listed = {row["id"] for row in response.json()["sales_people"]}
    assert {sales_manager.pk, sales_agent.pk} <= listed
    assert compliance_officer.pk not in listed


def test_converted_lead_is_found_by_customer(api_client, sales_manager):
    customer = CustomerFactory()
    lead = LeadFactory(customer=customer)
    api_client.force_authenticate(sales_manager)

    assert ids(api_client.get(LIST_URL, {"customer_id": customer.pk})) == [lead.pk]


def _perms(*codenames: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="sales", codename__in=codenames)
