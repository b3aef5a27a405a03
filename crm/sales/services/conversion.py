"""A lead becomes a client: linked by signup code, email or phone; the client keeps agent, source and history."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.core.events import emit
from crm.core.services import record_activity
from crm.customers import services as customer_services
from crm.customers.models import Customer
from crm.sales.models import Lead
from crm.sales.services.history import copy_history


def find_lead_for(customer: Customer, *, signup_code: str = "") -> Lead | None:
    """The unconverted lead a new client was: the one with the signup code, else the newest with the email or phone."""
    leads = Lead.objects.active().filter(customer__isnull=True)
    if signup_code:
        lead = leads.filter(signup_code=signup_code.strip().upper()).first()
        if lead is not None:
            return lead
    condition = Q(pk__in=[])
    if customer.email:
        condition |= Q(email=customer.email.lower())
    if customer.phone:
        condition |= Q(phone=str(customer.phone))
    return leads.filter(condition).order_by("-created_at", "-pk").first()


@transaction.atomic
def convert_lead(lead: Lead, customer: Customer, *, actor=None) -> Lead:
    """Link the lead to the client it became. The client takes the lead's agent, source, campaign and sales
    status where it has none, and a copy of the lead's history. Converting the same pair again changes nothing.
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.customer_id is not None:
        return lead
    lead.customer = customer
    lead.converted_at = timezone.now()
    lead.save(update_fields=["customer", "converted_at", "updated_at"])
    taken: dict[str, Any] = {}
    if customer.conversion_agent_id is None and lead.sales_person_id:
        taken["conversion_agent"] = lead.sales_person
    if not customer.source and lead.source:
        taken["source"] = lead.source
    campaign = lead.campaign or lead.utm_campaign
    if not customer.utm_campaign and campaign:
        taken["utm_campaign"] = campaign[:255]
    if customer.sales_status_id is None and lead.sales_status_id:
        taken["sales_status"] = lead.sales_status
    if taken:
        customer_services.update_customer(customer, actor=actor, check_rights=False, **taken)
    record_activity(actor=actor, action="lead.converted", target=lead, data={"customer_id": customer.pk})
    copied = copy_history(lead, to=customer, note="from_lead")
    record_activity(
        actor=actor, action="customer.lead_linked", target=customer, data={"lead_id": lead.pk, "history": copied}
    )
    emit("lead.converted", lead_id=lead.pk, customer_id=customer.pk)
    return lead


def convert_registered_customer(customer_id: int, *, signup_code: str = "") -> Lead | None:
    """Handle a new client: find their lead and convert it; None when they were not a lead (or are linked)."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or Lead.objects.filter(customer=customer).exists():
        return None
    lead = find_lead_for(customer, signup_code=signup_code)
    if lead is None:
        return None
    return convert_lead(lead, customer)
