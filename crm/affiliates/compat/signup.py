"""003 "Traders Room — Sign Up API": the seed's fields mapped onto a portal sign-up.

Where each accepted field goes:
- the client's profile: `email`, `phone`, `firstName`, `lastName`, `dateOfBirth`, `billing` (country, region,
  city, postcode, address); `nationality` gives the country when billing has none;
- attribution (the introducer, `source`, `external_id`, `campaign`, and the raw values kept on the client's
  sign-up record): `affiliateID`, `subID`, `campaignId`, `sourceId`, `externalId`, `meta`, `project`;
- the sign-up record too (no column of ours holds them): `middleName`, `gender`, `nationality`,
  `additionalPhone`; `agreements` (label, ip, signedAt) go to the sign-up's activity record;
- routing: `desk` puts the client on that sales desk (by name or id): its conversion agent is the desk's next
  available member, round-robin (its manager when nobody is available), unless `manager` names one. Platform
  tokens may also set `manager` (conversion agent, by id, email or "First Last"), `status` (sales status),
  `type` (client type) and `companyFeeGroup` (client group). A name that matches nothing is refused (400);
  from an affiliate's key `manager`, `status`, `type` and `companyFeeGroup` are refused (the broker sets them);
- `sendEmail`: false sends no confirmation email (default true);
- refused (400), because the platform manages them ("cannot be overridden", 003): `verificationLevel`,
  `verificationStatus`, `state`, `allowToCreateAsset`, `processed`, and `passport` (identity documents go
  through KYC).
"""

from __future__ import annotations

from typing import Any, cast

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
from crm.customers.models import ClientGroup, ClientType, Customer, OnboardingStage, SalesStatus
from crm.users.models import ApiToken, Desk, User
from crm.users.services import next_desk_agents

# Managed by the platform: a request that sets one is refused.
SYSTEM_FIELDS = ("verificationLevel", "verificationStatus", "state", "allowToCreateAsset", "processed", "passport")
# Set by the broker's own systems (platform tokens), not by affiliates.
BROKER_FIELDS = ("manager", "status", "type", "companyFeeGroup")
# Kept on the client's sign-up record under the seed's names.
RECORDED_FIELDS = ("middleName", "gender", "nationality", "additionalPhone")


def refuse(field: str, message: str) -> DomainError:
    return DomainError(f"{field}: {message}", code="invalid_field", fields={field: [message]})


def check_fields(data: dict[str, Any], *, from_affiliate: bool) -> None:
    """Refuse the fields the platform manages, and the broker's routing fields from an affiliate's key."""
    for name in SYSTEM_FIELDS:
        if data.get(name) not in (None, ""):
            raise refuse(name, "managed by the platform; it cannot be set at sign-up")
    if from_affiliate:
        for name in BROKER_FIELDS:
            if data.get(name) not in (None, ""):
                raise refuse(name, "set by the broker; an affiliate's key cannot set it")


def _attribution(data: dict[str, Any]) -> dict[str, Any]:
    values = {
        "sub_id": data.get("subID"),
        "campaign": data.get("campaignId"),
        "source": data.get("sourceId"),
        "external_id": data.get("externalId"),
        "meta": data.get("meta"),
        "project": data.get("project"),
        "desk": data.get("desk"),
        **{name: data.get(name) for name in RECORDED_FIELDS},
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


def _named(model, value: str, **conditions):
    """The row named `value` (its id, or its name in any case); None when none is."""
    rows = model.objects.filter(**conditions)
    if value.isdigit() and len(value) < 19:
        found = rows.filter(pk=int(value)).first()
        if found is not None:
            return found
    return rows.filter(name__iexact=value).first()


def _routing(data: dict[str, Any], *, actor: User | None) -> dict[str, Any]:
    """The desk, manager, sales status, client type and client group the body names; unknown names refused."""
    found: dict[str, Any] = {}
    wanted = {
        "desk": (Desk, {}),
        "status": (SalesStatus, {}),
        "type": (ClientType, {"is_enabled": True}),
        "companyFeeGroup": (ClientGroup, {}),
    }
    for name, (model, conditions) in wanted.items():
        value = str(data.get(name) or "").strip()
        if value:
            found[name] = _named(model, value, **conditions)
            if found[name] is None:
                raise refuse(name, f"no {model._meta.verbose_name} named {value!r}")
    manager = str(data.get("manager") or "").strip()
    if manager:
        found["manager"] = _manager(manager)
        if found["manager"] is None:
            raise refuse("manager", f"no active staff member {manager!r}")
        if actor is None or not actor.has_perm("customers.assign_customer"):
            raise refuse("manager", "this key may not assign agents")
    return found


def _desk_agent(desk: Desk) -> User | None:
    """The desk's next available member (round-robin), or its manager when nobody is available."""
    chosen = next_desk_agents(desk)
    return chosen[0] if chosen else desk.manager


def _route(customer: Customer, routing: dict[str, Any], *, actor: User | None) -> None:
    """Put the signed-up client on its desk and agent, client type, group and sales status."""
    values: dict[str, Any] = {}
    agent = routing.get("manager") or (_desk_agent(routing["desk"]) if routing.get("desk") else None)
    if agent is not None:
        values["conversion_agent"] = agent
    if routing.get("type") is not None:
        values["client_type"] = routing["type"]
    if routing.get("companyFeeGroup") is not None:
        values["groups"] = [routing["companyFeeGroup"]]
    if values:
        # The key's rights were checked on the body (`_routing`); a desk's round-robin is our rule.
        customer_services.update_customer(customer, actor=actor, check_rights=False, **values)
    if routing.get("status") is not None:
        customer_services.set_sales_status([customer], sales_status=routing["status"], actor=actor)


@transaction.atomic
def tradersroom_sign_up(caller: SignupCaller, data: dict[str, Any]) -> Customer:
    """Register the client as the portal sign-up does, with a generated password; attribution as the body says.

    An affiliate's key makes the affiliate (or the sub-IB of its tree the body's `affiliateID` names by
    client id or referral key) the introducer; a platform token takes the body's `affiliateID` as given.
    """
    check_fields(data, from_affiliate=caller.affiliate is not None)
    attribution = _attribution(data)
    values = _profile(data)
    send = data.get("sendEmail", True) is not False
    actor = None if caller.affiliate is not None else cast(ApiToken, caller.token).user
    routing = _routing(data, actor=actor)
    if caller.affiliate is not None:
        named = attribution.pop("affiliate_id", None)
        if named and not attribution.get("wtreferrer"):
            sub = Affiliate.objects.filter(customer_id=int(named)).select_related("customer").first()
            if sub is None or not selectors.tree_of(caller.affiliate).filter(pk=sub.pk).exists():
                raise DomainError("affiliateID is not yours or your sub-IBs'", code="invalid_affiliate")
            attribution["wtreferrer"] = sub.customer.referral_key or ""
        customer = services_api.create_referral(
            caller.affiliate,
            email=data["email"],
            password=None,
            values=values,
            attribution=attribution,
            send_confirmation=send,
        )
    else:
        customer = customer_services.sign_up(
            form="real",
            email=data["email"],
            password=services_api.random_password(),
            values=values,
            attribution=attribution,
            send_confirmation=send,
        )
        attribute_customer(customer.pk, actor=actor)
    _route(customer, routing, actor=actor)
    record_activity(
        actor=actor,
        action="affiliates.tradersroom_signup",
        target=customer,
        data={
            "fields": sorted(data),
            "agreements": [
                {key: str(value) for key, value in agreement.items()} for agreement in data.get("agreements") or []
            ],
            "send_email": send,
        },
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
