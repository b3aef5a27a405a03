"""Attribution: which affiliate introduced a client or a lead, and the sign-ups held for review.

Order of evidence at sign-up: the introducer the sign-up already set (referral key `wtreferrer` or
affiliate id), then the raw attribution values (referral key, affiliate id, referral link), then the
lead the client came from, then a source name owned by exactly one affiliate. The first attribution
wins; only staff move a client to another introducer (`reassign_referral`, written to the activity log).

Self-referral (the affiliate's own email, phone or device) and repeat sign-ups from one IP are flagged
for review; commissions of a flagged referral stay pending until the flag is cleared.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.affiliates.exceptions import AffiliateError
from crm.affiliates.models import Affiliate, Attribution, AttributionFlag, Campaign, CommissionLedger, ReferralLink
from crm.core.events import emit
from crm.core.models import Activity
from crm.core.services import get_setting, record_activity
from crm.customers.models import Customer
from crm.sales.models import Lead
from crm.users.models import Device, LoginRecord

KEY_NAMES = ("wtreferrer", "refKey", "referral_key", "ref")
AFFILIATE_ID_NAMES = ("affiliate_id", "affiliateId", "affiliateID", "affiliate")
SUB_ID_NAMES = ("sub_id", "subId", "subid", "aff_sub")
LINK_NAMES = ("link", "link_id", "linkId")
REPEAT_IP_WINDOW = dt.timedelta(days=30)


def _first(values: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = str(values.get(name) or "").strip()
        if value:
            return value
    return ""


def _eligible(queryset):
    return queryset.exclude(status=Affiliate.Status.SUSPENDED)


def _affiliate_from_values(values: dict[str, Any]) -> tuple[Affiliate | None, str, ReferralLink | None]:
    link_id = _first(values, LINK_NAMES)
    if link_id.isdigit():
        link = ReferralLink.objects.select_related("affiliate", "campaign").filter(pk=int(link_id)).first()
        if link is not None and link.affiliate.status != Affiliate.Status.SUSPENDED:
            return link.affiliate, Attribution.Method.LINK, link
    key = _first(values, KEY_NAMES)
    if key:
        affiliate = _eligible(Affiliate.objects.filter(customer__referral_key=key)).first()
        if affiliate is not None:
            return affiliate, Attribution.Method.REFERRAL_KEY, None
    affiliate_id = _first(values, AFFILIATE_ID_NAMES)
    if affiliate_id.isdigit():
        # An affiliate id is the affiliate's client id (as the partner systems know it) or its profile id.
        affiliate = _eligible(Affiliate.objects.filter(customer_id=int(affiliate_id))).first()
        if affiliate is not None:
            return affiliate, Attribution.Method.AFFILIATE_ID, None
    return None, "", None


def _affiliate_from_source(source: str) -> Affiliate | None:
    if not source:
        return None
    owners = list(_eligible(Affiliate.objects.filter(sources__name=source)).distinct()[:2])
    return owners[0] if len(owners) == 1 else None


def _signup_ip(customer: Customer, values: dict[str, Any]) -> str | None:
    ip = str(values.get("ip") or values.get("ip_address") or "").strip()
    if ip:
        return ip
    if customer.user_id:
        signup_ip = (
            LoginRecord.objects.filter(user_id=customer.user_id, reason=LoginRecord.Reason.SIGN_UP)
            .exclude(ip_address=None)
            .values_list("ip_address", flat=True)
            .first()
        )
        if signup_ip:
            return signup_ip
    return (
        Activity.objects.for_target(customer)
        .filter(action__in=["customer.registered", "customer.created"])
        .exclude(ip_address=None)
        .values_list("ip_address", flat=True)
        .first()
    )


@transaction.atomic
def attribute_customer(customer_id: int, *, method: str = "", actor=None) -> Attribution | None:
    """Record who introduced a new client, and flag self-referral and repeat IPs. Running twice changes nothing."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        return None
    existing = Attribution.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    values = customer.attribution or {}
    affiliate, how, link = None, "", None
    if customer.introducer_id:
        affiliate = Affiliate.objects.filter(customer_id=customer.introducer_id).first()
        how = Attribution.Method.REFERRAL_KEY if _first(values, KEY_NAMES) else Attribution.Method.AFFILIATE_ID
    if affiliate is None:
        affiliate, how, link = _affiliate_from_values(values)
    if affiliate is None:
        lead = Lead.objects.filter(customer=customer, affiliate__isnull=False).order_by("pk").first()
        if lead is not None:
            affiliate = Affiliate.objects.filter(customer_id=cast(int, lead.affiliate_id)).first()
            how = Attribution.Method.LEAD
    if affiliate is None:
        affiliate = _affiliate_from_source(customer.source)
        how = Attribution.Method.AFFILIATE_ID
    if affiliate is None or affiliate.customer_id == customer.pk:
        return None
    campaign_code = customer.campaign or str(values.get("campaign") or "")
    campaign = link.campaign if link and link.campaign_id else _campaign(affiliate, campaign_code)
    attribution = Attribution.objects.create(
        customer=customer,
        affiliate=affiliate,
        method=method or how,
        campaign=campaign,
        link=link,
        source=(customer.source or "")[:100],
        sub_id=(_first(values, SUB_ID_NAMES) or (link.sub_id if link else ""))[:255],
        ip_address=_signup_ip(customer, values),
    )
    if customer.introducer_id != affiliate.customer_id:
        Customer.objects.filter(pk=customer.pk).update(introducer_id=affiliate.customer_id, updated_at=timezone.now())
    record_activity(
        actor=actor,
        action="affiliate.referral_attributed",
        target=customer,
        data={"affiliate_id": affiliate.pk, "method": attribution.method, "sub_id": attribution.sub_id},
    )
    emit("affiliate.referral_attributed", customer_id=customer.pk, affiliate_id=affiliate.pk)
    check_attribution(attribution, customer=customer)
    return attribution


def _campaign(affiliate: Affiliate, code: str) -> Campaign | None:
    return Campaign.objects.filter(affiliate=affiliate, code=code).first() if code else None


def _email_key(email: str) -> str:
    """An email with dots and "+tags" of the local part removed, so aliases of one mailbox compare equal."""
    local, _unused, domain = (email or "").lower().partition("@")
    return f"{local.split('+', 1)[0].replace('.', '')}@{domain}"


def check_attribution(attribution: Attribution, *, customer: Customer) -> list[AttributionFlag]:
    """Flag the sign-up when it looks like the affiliate itself or a repeat sign-up from one IP."""
    affiliate = Affiliate.objects.select_related("customer").get(pk=attribution.affiliate_id)
    own = affiliate.customer
    reasons: dict[str, dict[str, Any]] = {}
    if customer.email and _email_key(customer.email) == _email_key(own.email):
        reasons[AttributionFlag.Reason.SELF_EMAIL] = {"email": customer.email}
    if customer.phone and own.phone and str(customer.phone) == str(own.phone):
        reasons[AttributionFlag.Reason.SELF_PHONE] = {"phone": str(customer.phone)}
    if customer.user_id and own.user_id:
        shared = set(Device.objects.filter(user_id=customer.user_id).values_list("key", flat=True)) & set(
            Device.objects.filter(user_id=own.user_id).values_list("key", flat=True)
        )
        if shared:
            reasons[AttributionFlag.Reason.SELF_DEVICE] = {"devices": len(shared)}
    if attribution.ip_address:
        since = timezone.now() - REPEAT_IP_WINDOW
        others = (
            Attribution.objects.filter(affiliate=affiliate, ip_address=attribution.ip_address, created_at__gte=since)
            .exclude(pk=attribution.pk)
            .count()
        )
        own_ip = LoginRecord.objects.filter(user_id=cast(int, own.user_id), ip_address=attribution.ip_address).exists()
        if others + 1 >= int(get_setting("affiliates.repeat_ip_threshold", 2)) or own_ip:
            reasons[AttributionFlag.Reason.REPEAT_IP] = {"ip": attribution.ip_address, "earlier_signups": others}
    flags = [
        AttributionFlag(customer=customer, affiliate=affiliate, reason=reason, details=details)
        for reason, details in reasons.items()
    ]
    AttributionFlag.objects.bulk_create(flags, ignore_conflicts=True)
    for flag in flags:
        record_activity(actor=None, action="affiliate.referral_flagged", target=customer, data={"reason": flag.reason})
        emit("affiliate.referral_flagged", customer_id=customer.pk, affiliate_id=affiliate.pk, reason=flag.reason)
    return flags


@transaction.atomic
def attribute_lead(lead_id: int) -> Attribution | None:
    """Record the affiliate of a new lead (its affiliate, or a source one affiliate owns). Running twice: once."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None or Attribution.objects.filter(lead=lead).exists():
        return None
    affiliate = Affiliate.objects.filter(customer_id=lead.affiliate_id).first() if lead.affiliate_id else None
    how = Attribution.Method.AFFILIATE_ID
    if affiliate is None:
        affiliate = _affiliate_from_source(lead.source)
    if affiliate is None:
        return None
    return Attribution.objects.create(
        lead=lead,
        affiliate=affiliate,
        method=how,
        campaign=_campaign(affiliate, lead.campaign),
        source=lead.source[:100],
        sub_id=lead.sub_id[:255],
    )


@transaction.atomic
def reassign_referral(customer: Customer, *, affiliate: Affiliate, actor, reason: str) -> Attribution:
    """Staff move a client to another introducer; the old and new introducers go to the activity log.

    Commissions already calculated stay with the affiliate who earned them; later actions follow the new one.
    """
    if not (reason or "").strip():
        raise AffiliateError(_("Say why the client is reassigned."), fields={"reason": [_("This field is required.")]})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if (
        affiliate.customer_id == customer.pk
        or Affiliate.objects.downline_of(
            Affiliate.objects.filter(customer=customer).first() or Affiliate(pk=0), include_self=True
        )
        .filter(pk=affiliate.pk)
        .exists()
    ):
        raise AffiliateError(
            _("A client cannot be introduced by themselves or their own downline."),
            code="introducer_cycle",
            fields={"affiliate": [_("Would create a referral loop.")]},
        )
    attribution = Attribution.objects.select_for_update().filter(customer=customer).first()
    old_affiliate = attribution.affiliate_id if attribution else None
    now = timezone.now()
    if attribution is None:
        attribution = Attribution(customer=customer, affiliate=affiliate, source=customer.source[:100])
    attribution.affiliate = affiliate
    attribution.method = Attribution.Method.STAFF
    attribution.reassigned_by, attribution.reassigned_at = actor, now
    attribution.save()
    old_introducer = customer.introducer_id
    Customer.objects.filter(pk=customer.pk).update(introducer_id=affiliate.customer_id, updated_at=now)
    record_activity(
        actor=actor,
        action="affiliate.referral_reassigned",
        target=customer,
        changes={
            "introducer_id": [old_introducer, affiliate.customer_id],
            "affiliate_id": [old_affiliate, affiliate.pk],
        },
        data={"reason": reason.strip()},
    )
    emit(
        "affiliate.referral_reassigned",
        customer_id=customer.pk,
        affiliate_id=affiliate.pk,
        old_affiliate_id=old_affiliate,
    )
    return attribution


@transaction.atomic
def review_flag(flag: AttributionFlag, *, confirmed: bool, actor) -> AttributionFlag:
    """Clear a flag, or confirm the fraud: then every unpaid commission on the referral is rejected."""
    flag = AttributionFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != AttributionFlag.Status.OPEN:
        return flag
    flag.status = AttributionFlag.Status.CONFIRMED if confirmed else AttributionFlag.Status.CLEARED
    flag.reviewed_by, flag.reviewed_at = actor, timezone.now()
    flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    rejected = 0
    if confirmed:
        rejected = CommissionLedger.objects.filter(
            referral_id=flag.customer_id,
            status__in=[CommissionLedger.Status.PENDING, CommissionLedger.Status.APPROVED],
            payout_request__isnull=True,
        ).update(
            status=CommissionLedger.Status.REJECTED,
            rejected_at=flag.reviewed_at,
            reject_reason=f"Fraud confirmed: {flag.get_reason_display()}"[:255],
            admin=actor,
            updated_at=flag.reviewed_at,
        )
    record_activity(
        actor=actor,
        action="affiliate.flag_reviewed",
        target=flag.customer,
        data={"reason": flag.reason, "status": flag.status, "rejected_commissions": rejected},
    )
    return flag


@transaction.atomic
def review_referral_flags(referral_id: int, *, confirmed: bool, actor) -> int:
    """Clear (or confirm as fraud) every open flag of one referral, e.g. from one of its commissions; returns how
    many flags were reviewed. Each review is recorded as `affiliate.flag_reviewed`."""
    flags = AttributionFlag.objects.filter(customer_id=referral_id, status=AttributionFlag.Status.OPEN).order_by("pk")
    reviewed = [review_flag(flag, confirmed=confirmed, actor=actor) for flag in flags]
    return len(reviewed)
