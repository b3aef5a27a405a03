"""Writes behind the affiliate API and the partner endpoints: sign-ups for partners, auto-login links, notes.

Sign-ups go through `crm.customers.services.sign_up` (the same rules as the portal form); the introducer
is the calling affiliate, or a sub-IB of its own tree named by referral key, never anybody else's.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from crm.affiliates import selectors
from crm.affiliates.models import Affiliate, Attribution, ReferralNote
from crm.affiliates.services.attribution import attribute_customer
from crm.core.exceptions import DomainError, NotFound
from crm.core.services import record_activity
from crm.customers import services as customer_services
from crm.customers.exceptions import OnboardingIncomplete
from crm.customers.models import Customer, OnboardingStage
from crm.users import security
from crm.users.models import LoginRecord, OneTimeToken, User


class AutologinRefused(DomainError):
    code = "invalid_autologin_token"
    status_code = 401


def autologin_lifetime() -> int:
    """Seconds an auto-login link stays valid (setting `AFFILIATE_AUTOLOGIN_SECONDS`, 5 minutes by default)."""
    return int(getattr(settings, "AFFILIATE_AUTOLOGIN_SECONDS", 300))


def issue_autologin_token(customer: Customer) -> tuple[str, dt.datetime]:
    """A single-use token that logs the client into the portal for a few minutes (a one-time token of the user;
    an earlier unused link of the same client stops working)."""
    token, raw = security.issue_one_time_token(
        cast(User, customer.user),
        purpose=OneTimeToken.Purpose.AUTOLOGIN,
        sent_to="",
        lifetime=dt.timedelta(seconds=autologin_lifetime()),
    )
    return raw, token.expires_at


def autologin_url(token: str, *, next_path: str = "") -> str:
    """The portal page that exchanges the token (`POST /api/v1/portal/autologin/`) for a session."""
    url = f"{settings.PORTAL_URL.rstrip('/')}/autologin/{token}/"
    return f"{url}?next={next_path}" if next_path else url


def redeem_autologin_token(raw: str, *, meta: dict[str, Any]) -> customer_services.LoginResult:
    """Exchange an auto-login token for a portal session, once; expired, reused or forged tokens are refused.

    "Used" is decided in the database (`security.consume_token`), so concurrent uses of one link from several
    processes open one session, with or without a shared cache. The client's BeforeSignIn onboarding steps
    still apply, as they do to a password log-in.
    """
    with transaction.atomic():
        try:
            token = security.consume_token(raw, purpose=OneTimeToken.Purpose.AUTOLOGIN)
        except security.InvalidToken as exc:
            if exc.code == "token_used":
                raise AutologinRefused(_("The auto-login link was already used.")) from exc
            raise AutologinRefused(_("The auto-login link is invalid or has expired.")) from exc
        customer = Customer.objects.filter(user=token.user).select_related("user").first()
        if customer is None or customer_services.portal_customer_of(cast(User, customer.user)) is None:
            raise AutologinRefused(_("This client cannot log into the portal."))
        pending = customer_services.pending_steps(customer, OnboardingStage.BEFORE_SIGN_IN)
        if pending:
            raise OnboardingIncomplete(OnboardingStage.BEFORE_SIGN_IN, pending)
        return customer_services.start_session(customer, meta=meta, device=None, reason=LoginRecord.Reason.SIGN_UP)


def _tree_affiliate_for_key(affiliate: Affiliate, key: str) -> Affiliate | None:
    return selectors.tree_of(affiliate).filter(customer__referral_key=key).select_related("customer").first()


def _attribution_for(affiliate: Affiliate, attribution: dict[str, Any]) -> dict[str, Any]:
    """The sign-up's attribution pointing at the caller, or at the sub-IB of its tree its referral key names."""
    attribution = {key: value for key, value in attribution.items() if value not in (None, "")}
    key = str(attribution.get("wtreferrer") or "").strip()
    introducer = affiliate
    if key:
        found = _tree_affiliate_for_key(affiliate, key)
        if found is None:
            raise DomainError(
                _("This referral key is not yours or your sub-IBs'."),
                code="invalid_referral_key",
                fields={"wtreferrer": [_("Not a referral key of your tree.")]},
            )
        introducer = found
    attribution["affiliate_id"] = introducer.customer_id
    if introducer.customer.referral_key:
        attribution["wtreferrer"] = introducer.customer.referral_key
    else:
        attribution.pop("wtreferrer", None)
    return attribution


def random_password() -> str:
    return secrets.token_urlsafe(18)


@transaction.atomic
def create_referral(
    affiliate: Affiliate,
    *,
    email: str,
    password: str | None,
    values: dict[str, Any],
    attribution: dict[str, Any],
    skip_steps: list[str] | None = None,
    actor=None,
    send_confirmation: bool = True,
) -> Customer:
    """A client signed up by an affiliate's system (000 AffiliateCreateCustomer), introduced by the affiliate.

    The password is generated when none is given. The attribution is written at once (method: partner API),
    so the client is the affiliate's (or the named sub-IB's) from its first moment.
    """
    attribution = _attribution_for(affiliate, attribution)
    customer = customer_services.sign_up(
        form="real",
        email=email,
        password=password or random_password(),
        values=values,
        attribution=attribution,
        skip_steps=skip_steps,
        send_confirmation=send_confirmation,
    )
    attribute_customer(customer.pk, method=Attribution.Method.PARTNER_API, actor=actor)
    record_activity(
        actor=actor,
        action="affiliate.referral_created",
        target=customer,
        data={"affiliate_id": affiliate.pk, "introducer_id": customer.introducer_id},
    )
    return Customer.objects.get(pk=customer.pk)


@transaction.atomic
def add_referral_note(affiliate: Affiliate, customer: Customer, *, body: str, actor=None) -> ReferralNote:
    """The affiliate's note on one of its referrals; another affiliate's client is refused."""
    _check_referral(affiliate, customer)
    body = (body or "").strip()
    if not body:
        raise DomainError(
            _("Write the note."), code="validation_error", fields={"body": [_("This field is required.")]}
        )
    note = ReferralNote.objects.create(affiliate=affiliate, customer=customer, body=body)
    record_activity(actor=actor, action="affiliate.referral_note_added", target=customer, data={"note_id": note.pk})
    return note


@transaction.atomic
def update_referral(
    affiliate: Affiliate, customer: Customer, *, source: str | None = None, notes: str | None = None, actor=None
) -> Customer:
    """000 AffiliateUpdateCustomer: change the referral's source, and add or update the affiliate's note.

    `notes` replaces the text of the affiliate's latest note on the client, or writes the first one.
    """
    _check_referral(affiliate, customer)
    if source is not None and source != customer.source:
        customer = customer_services.update_customer(customer, actor=actor, source=source)
    if notes is not None and notes.strip():
        latest = (
            ReferralNote.objects.select_for_update()
            .filter(affiliate=affiliate, customer=customer)
            .order_by("-created_at", "-pk")
            .first()
        )
        if latest is None:
            ReferralNote.objects.create(affiliate=affiliate, customer=customer, body=notes.strip())
        elif latest.body != notes.strip():
            latest.body = notes.strip()
            latest.save(update_fields=["body", "updated_at"])
        record_activity(actor=actor, action="affiliate.referral_note_saved", target=customer)
    return customer


def _check_referral(affiliate: Affiliate, customer: Customer) -> None:
    if not selectors.referrals_of(affiliate).filter(pk=customer.pk).exists():
        raise NotFound(_("Not one of your referrals."))
