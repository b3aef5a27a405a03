"""003 "Traders Room — Sign Up API": the seed's fields mapped onto a portal sign-up.

What maps onto the client is applied (name, phone, date of birth, billing address, attribution, and for
platform tokens the client type, sales status and manager by name); the whole request (agreements included)
is kept in the sign-up's activity record. Verification level and status, state, `allowToCreateAsset` and
`processed` are system-managed ("cannot be overridden", 003) and only recorded.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django_countries import countries

from crm.affiliates import selectors, services_api
from crm.affiliates.compat.authentication import SignupCaller
from crm.affiliates.models import Affiliate
from crm.affiliates.services.attribution import attribute_customer
from crm.core.exceptions import DomainError
from crm.core.services import get_setting, record_activity
from crm.customers import services as customer_services
from crm.customers.models import ClientType, Customer, OnboardingStage, SalesStatus
from crm.users.models import User


def _attribution(data: dict[str, Any]) -> dict[str, Any]:
    values = {
        "sub_id": data.get("subID"),
        "campaign": data.get("campaignId"),
        "source": data.get("sourceId"),
        "external_id": data.get("externalId"),
        "meta": data.get("meta"),
        "project": data.get("project"),
        "desk": data.get("desk"),
    }
    affiliate_id = str(data.get("affiliateID") or "").strip()
    if affiliate_id.isdigit():
        values["affiliate_id"] = affiliate_id
    elif affiliate_id:
        values["wtreferrer"] = affiliate_id
    return {key: value for key, value in values.items() if value not in (None, "")}


def _country_code(value: str | None) -> str | None:
    """An ISO 3166 code, or None: `nationality` is free text ("British") and the caller's codes are unchecked."""
    code = (value or "").strip().upper()
    return code if code in countries else None


def _profile(data: dict[str, Any]) -> dict[str, Any]:
    billing = data.get("billing") or {}
    values = {
        "first_name": data.get("firstName"),
        "last_name": data.get("lastName"),
        "phone": data.get("phone"),
        "date_of_birth": data.get("dateOfBirth"),
        "country": _country_code(billing.get("country")) or _country_code(data.get("nationality")),
        "state": billing.get("region"),
        "city": billing.get("city"),
        "postal_code": billing.get("postcode"),
        "address_line1": billing.get("address"),
    }
    return {key: value for key, value in values.items() if value not in (None, "")}


def _manager(value: str) -> User | None:
    value = (value or "").strip()
    if not value:
        return None
    staff = User.objects.active_staff()
    if value.isdigit():
        return staff.filter(pk=int(value)).first()
    if "@" in value:
        return staff.filter(email=value.lower()).first()
    first, _, last = value.partition(" ")
    return staff.filter(Q(first_name__iexact=first) & Q(last_name__iexact=last)).first()


def _route(customer: Customer, data: dict[str, Any], *, actor: User) -> None:
    """Client type, sales status and manager named by a platform token; unknown names are left out."""
    client_type = ClientType.objects.filter(name__iexact=data.get("type") or "", is_enabled=True).first()
    manager = _manager(data.get("manager") or "")
    values: dict[str, Any] = {}
    if client_type is not None:
        values["client_type"] = client_type
    if manager is not None and actor.has_perm("customers.assign_customer"):
        values["conversion_agent"] = manager
    if values:
        customer_services.update_customer(customer, actor=actor, **values)
    sales_status = SalesStatus.objects.filter(name__iexact=data.get("status") or "").first()
    if sales_status is not None:
        customer_services.set_sales_status([customer], sales_status=sales_status, actor=actor)


@transaction.atomic
def tradersroom_sign_up(caller: SignupCaller, data: dict[str, Any]) -> Customer:
    """Register the client as the portal sign-up does, with a generated password; attribution as the body says.

    An affiliate's key makes the affiliate (or the sub-IB of its tree the body's `affiliateID` names by
    client id or referral key) the introducer; a platform token takes the body's `affiliateID` as given.
    """
    attribution = _attribution(data)
    values = _profile(data)
    if caller.affiliate is not None:
        named = attribution.pop("affiliate_id", None)
        if named and not attribution.get("wtreferrer"):
            sub = Affiliate.objects.filter(customer_id=int(named)).select_related("customer").first()
            if sub is None or not selectors.tree_of(caller.affiliate).filter(pk=sub.pk).exists():
                raise DomainError("affiliateID is not yours or your sub-IBs'", code="invalid_affiliate")
            attribution["wtreferrer"] = sub.customer.referral_key or ""
        customer = services_api.create_referral(
            caller.affiliate, email=data["email"], password=None, values=values, attribution=attribution
        )
        actor = None
    else:
        actor = caller.token.user
        customer = customer_services.sign_up(
            form="real",
            email=data["email"],
            password=services_api.random_password(),
            values=values,
            attribution=attribution,
        )
        attribute_customer(customer.pk, actor=actor)
        _route(customer, data, actor=actor)
    record_activity(
        actor=actor,
        action="affiliates.tradersroom_signup",
        target=customer,
        data={"request": {key: value for key, value in data.items() if key != "email"}},
    )
    return customer


def autologin_for(customer: Customer) -> str | None:
    """The auto-login link, unless turned off (`affiliates.tradersroom_autologin`) or the client cannot log in yet."""
    if not get_setting("affiliates.tradersroom_autologin", True) or customer.user_id is None:
        return None
    if customer_services.pending_steps(customer, OnboardingStage.BEFORE_SIGN_IN):
        return None
    token, _ = services_api.issue_autologin_token(customer)
    return services_api.autologin_url(token)
