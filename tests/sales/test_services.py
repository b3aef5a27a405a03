"""Lead rules: duplicates, routing and round-robin, claim, bulk edit, merge, conversion."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from crm.core.exceptions import Conflict, DomainError
from crm.core.models import Activity, OutboxEvent
from crm.sales import services
from crm.sales.models import Lead, LeadCommunication
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory, SalesStatusFactory
from tests.sales.factories import AssignmentRuleFactory, DeskFactory, LeadFactory

pytestmark = pytest.mark.django_db


def agents(count: int) -> list:
    return [staff_with_role("Sales Agent") for _ in range(count)]


def test_phone_is_normalised_to_e164_with_the_country():
    assert services.normalize_phone("07911 123456", "GB") == "+447911123456"
    assert services.normalize_phone("0044 7911 123456") == "+447911123456"
    with pytest.raises(ValueError, match="not a valid phone number"):
        services.normalize_phone("12345", "GB")


def test_created_lead_matching_an_earlier_lead_is_flagged_and_linked(sales_manager):
    first = LeadFactory(email="ann@example.com", phone="+447911123456")

    lead = services.create_lead(actor=sales_manager, email="ANN@example.com ", phone="07911 123456", country="GB")

    assert (lead.duplicate_score, lead.duplicate_of_id) == (90, first.pk)
    assert Lead.objects.count() == 2


def test_created_lead_matching_a_client_is_flagged_with_the_client(sales_manager):
    customer = CustomerFactory(email="bob@example.com")

    lead = services.create_lead(actor=sales_manager, email="bob@example.com")

    assert (lead.duplicate_score, lead.duplicate_customer_id, lead.duplicate_of_id) == (50, customer.pk, None)


def test_affiliate_lead_id_matches_only_for_the_same_affiliate(sales_manager):
    affiliate, other = CustomerFactory(), CustomerFactory()
    LeadFactory(external_id="A-1", affiliate=affiliate)

    same = services.create_lead(actor=sales_manager, email="x1@example.com", external_id="A-1", affiliate=affiliate)
    different = services.create_lead(actor=sales_manager, email="x2@example.com", external_id="A-1", affiliate=other)

    assert (same.duplicate_score, different.duplicate_score) == (60, 0)


def test_lead_without_email_or_phone_is_refused(sales_manager):
    with pytest.raises(DomainError) as error:
        services.create_lead(actor=sales_manager, first_name="Nobody")

    assert error.value.code == "no_contact"
    assert not Lead.objects.exists()


def test_rules_route_by_country_language_and_source_then_round_robin(sales_manager):
    one, two = agents(2)
    german = DeskFactory(members=[one, two])
    AssignmentRuleFactory(desk=DeskFactory(), countries=["FR"], priority=1)
    AssignmentRuleFactory(desk=german, countries=["DE"], languages=["de"], sources=["google"], priority=2)

    leads = [
        services.create_lead(
            actor=sales_manager, email=f"d{i}@example.com", country="DE", language="de", source="google"
        )
        for i in range(4)
    ]
    unmatched = services.create_lead(actor=sales_manager, email="gb@example.com", country="GB", source="google")

    assert [lead.desk_id for lead in leads] == [german.pk] * 4
    assert [lead.sales_person_id for lead in leads] == [one.pk, two.pk, one.pk, two.pk]
    assert (unmatched.desk_id, unmatched.sales_person_id) == (None, None)


def test_round_robin_skips_absent_and_inactive_agents(sales_manager):
    present, absent, gone = agents(3)
    absent.is_absent = True
    absent.save()
    gone.is_active = False
    gone.save()
    desk = DeskFactory(members=[present, absent, gone])
    AssignmentRuleFactory(desk=desk)

    leads = [services.create_lead(actor=sales_manager, email=f"r{i}@example.com") for i in range(3)]

    assert {lead.sales_person_id for lead in leads} == {present.pk}


def test_rule_with_an_agent_sends_every_lead_to_that_agent(sales_manager):
    one, two = agents(2)
    AssignmentRuleFactory(desk=DeskFactory(members=[one, two]), agent=two)

    lead = services.create_lead(actor=sales_manager, email="fixed@example.com")

    assert lead.sales_person_id == two.pk


def test_named_sales_person_overrides_the_rules(sales_manager):
    one, two = agents(2)
    AssignmentRuleFactory(desk=DeskFactory(members=[one]))

    lead = services.create_lead(actor=sales_manager, email="manual@example.com", sales_person=two)

    assert (lead.sales_person_id, lead.desk_id) == (two.pk, None)


def test_bulk_routing_spreads_leads_evenly(sales_manager):
    team = agents(3)
    desk = DeskFactory(members=team)
    leads = [Lead(email=f"b{i}@example.com", desk=desk) for i in range(9)]

    services.route_leads(leads, rules=[])

    counts = [sum(1 for lead in leads if lead.sales_person_id == agent.pk) for agent in team]
    assert counts == [3, 3, 3]


def test_claim_takes_an_unassigned_lead_and_refuses_an_assigned_one(sales_agent, other_sales_agent):
    free = LeadFactory()
    taken = LeadFactory(sales_person=other_sales_agent)

    services.claim_lead(free, actor=sales_agent)
    with pytest.raises(Conflict):
        services.claim_lead(taken, actor=sales_agent)

    free.refresh_from_db()
    taken.refresh_from_db()
    assert (free.sales_person_id, taken.sales_person_id) == (sales_agent.pk, other_sales_agent.pk)
    assert OutboxEvent.objects.filter(name="lead.claimed").count() == 1
    assert Activity.objects.for_target(free).filter(action="lead.claimed").count() == 1


def test_email_is_sent_recorded_and_counts_as_contact(sales_agent, django_capture_on_commit_callbacks):
    from crm.communications.models import EmailMessage

    lead = LeadFactory(sales_person=sales_agent, email="to@example.com", language="es")

    with django_capture_on_commit_callbacks(execute=True):
        communication = services.send_lead_email(lead, subject="Hello", body="Call me\nsoon", actor=sales_agent)

    lead.refresh_from_db()
    (sent,) = mail.outbox
    assert (sent.to, sent.subject, sent.body, sent.reply_to) == (
        ["to@example.com"],
        "Hello",
        "Call me\nsoon",
        [sales_agent.email],
    )
    assert "Call me<br />soon" in sent.alternatives[0][0]
    assert communication.channel == LeadCommunication.Channel.EMAIL
    assert lead.last_contact_at == communication.created_at
    assert OutboxEvent.objects.filter(name="lead.emailed").count() == 1
    logged = EmailMessage.objects.get()
    expected = ("lead.emailed", "to@example.com", "es", "sent")
    assert (logged.trigger, logged.to_email, logged.language, logged.status) == expected


def test_a_lead_without_an_email_address_is_refused(sales_agent):
    lead = LeadFactory(sales_person=sales_agent, email="", phone="+447700900123")

    with pytest.raises(DomainError) as error:
        services.send_lead_email(lead, subject="Hello", body="Body", actor=sales_agent)

    lead.refresh_from_db()
    assert error.value.code == "no_email"
    assert (LeadCommunication.objects.count(), lead.last_contact_at) == (0, None)
    assert not OutboxEvent.objects.filter(name="lead.emailed").exists()


def test_comment_marked_as_contact_stamps_last_contact(sales_agent):
    lead = LeadFactory(sales_person=sales_agent)

    services.add_lead_comment(lead, body="Not interested yet", actor=sales_agent)
    lead.refresh_from_db()
    before = lead.last_contact_at
    comment = services.add_lead_comment(lead, body="Called, call back Monday", actor=sales_agent, is_contact=True)
    lead.refresh_from_db()

    assert (before, lead.last_contact_at) == (None, comment.created_at)


def test_follow_up_is_set_and_listed_when_due(sales_agent):
    lead = LeadFactory(sales_person=sales_agent)
    later = LeadFactory(sales_person=sales_agent)
    now = timezone.now()

    services.set_follow_up(lead, follow_up_at=now - dt.timedelta(hours=1), note="Call back", actor=sales_agent)
    services.set_follow_up(later, follow_up_at=now + dt.timedelta(days=3), actor=sales_agent)

    assert list(Lead.objects.due_follow_ups(until=now)) == [lead]


def test_bulk_edit_changes_every_lead_and_logs_each(sales_manager):
    status = SalesStatusFactory()
    agent = staff_with_role("Sales Agent")
    leads = LeadFactory.create_batch(3)
    already = LeadFactory(sales_status=status, sales_person=agent)

    changed = services.bulk_edit_leads(
        Lead.objects.all(), actor=sales_manager, sales_status=status, sales_person=agent
    )

    assert changed == 3
    assert set(Lead.objects.values_list("sales_status_id", "sales_person_id")) == {(status.pk, agent.pk)}
    assert Activity.objects.filter(action="lead.bulk_edited", target_id__in=[str(x.pk) for x in leads]).count() == 3
    assert not Activity.objects.filter(action="lead.bulk_edited", target_id=str(already.pk)).exists()


def test_merge_keeps_both_histories(sales_manager, sales_agent):
    keep = LeadFactory(email="keep@example.com", phone="")
    other = LeadFactory(email="other@example.com", phone="+447911000111")
    services.add_lead_comment(other, body="From the other lead", actor=sales_manager)
    services.add_lead_comment(keep, body="On the kept lead", actor=sales_manager)

    services.merge_leads(keep, other, actor=sales_manager)

    keep.refresh_from_db()
    other.refresh_from_db()
    assert other.merged_into_id == keep.pk
    assert keep.phone == "+447911000111"
    assert keep.comments.count() == 2
    actions = list(Activity.objects.for_target(keep).values_list("action", flat=True))
    assert actions.count("lead.commented") == 2
    assert Lead.objects.active().filter(pk=other.pk).count() == 0


def test_merging_into_itself_is_refused(sales_manager):
    lead = LeadFactory()

    with pytest.raises(DomainError):
        services.merge_leads(lead, lead, actor=sales_manager)


def test_new_client_with_the_leads_email_converts_the_lead(sales_agent):
    status = SalesStatusFactory()
    lead = LeadFactory(
        email="conv@example.com", sales_person=sales_agent, source="google", campaign="spring", sales_status=status
    )
    services.add_lead_comment(lead, body="Hot lead", actor=sales_agent)
    customer = CustomerFactory(email="conv@example.com", phone="")

    services.convert_registered_customer(customer.pk)

    lead.refresh_from_db()
    customer.refresh_from_db()
    assert lead.customer_id == customer.pk
    assert (customer.conversion_agent_id, customer.source, customer.utm_campaign) == (
        sales_agent.pk,
        "google",
        "spring",
    )
    assert customer.sales_status_id == status.pk
    assert Activity.objects.for_target(customer).filter(action="lead.commented").count() == 1


def test_signup_code_wins_over_email(sales_agent):
    by_code = LeadFactory(email="code@example.com")
    LeadFactory(email="same@example.com")
    customer = CustomerFactory(email="same@example.com")

    services.convert_registered_customer(customer.pk, signup_code=by_code.signup_code.lower())

    assert Lead.objects.get(customer=customer).pk == by_code.pk


def test_converting_twice_links_once():
    lead = LeadFactory(email="twice@example.com")
    customer = CustomerFactory(email="twice@example.com")

    services.convert_registered_customer(customer.pk)
    services.convert_registered_customer(customer.pk)

    assert Lead.objects.filter(customer=customer).count() == 1
    assert Activity.objects.for_target(lead).filter(action="lead.converted").count() == 1
