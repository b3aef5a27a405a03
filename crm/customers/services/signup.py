"""Portal accounts: sign-up (demo and real forms) with attribution, log-in, and staff impersonation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from crm.core import context
from crm.core.events import emit
from crm.core.exceptions import DomainError, PermissionDenied
from crm.core.i18n import supported_language
from crm.core.services import record_activity
from crm.customers.exceptions import InvalidRefreshToken, OnboardingIncomplete
from crm.customers.models import ClientRole, Country, Customer, OnboardingStage, OnboardingStep
from crm.customers.portal_models import PORTAL_FIELDS
from crm.customers.services.clients import EmailTaken, create_customer, normalize_email
from crm.customers.services.onboarding import missing_fields, pending_steps
from crm.customers.services.verification import check_password_rules, send_email_confirmation
from crm.users import security
from crm.users.models import Device, LoginRecord, User

SIGN_UP_FORMS = {"demo": OnboardingStep.SIGNUP_DEMO_FORM, "real": OnboardingStep.SIGNUP_REAL_FORM}
ATTRIBUTION_FIELDS = ("source", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "external_id")


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status_code = 401


class LoginLocked(DomainError):
    code = "login_locked"
    status_code = 403


class SecondFactorRequired(DomainError):
    code = "otp_required"
    status_code = 401


def _check_country(country: Any) -> None:
    if _blank(country):
        return
    if not Country.objects.filter(code=str(country), is_enabled=True).exists():
        raise DomainError(
            _("Sign-up is not open in this country."),
            code="country_not_allowed",
            fields={"country": [_("Not available.")]},
        )


def _blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


def _introducer(attribution: dict[str, Any]) -> Customer | None:
    """The introducer named by the referral key (wtreferrer) or, failing that, by an affiliate's client id."""
    key = (attribution.get("wtreferrer") or "").strip()
    if key:
        introducer = Customer.objects.filter(referral_key=key).first()
        if introducer is not None:
            return introducer
    affiliate_id = attribution.get("affiliate_id")
    if affiliate_id:
        return Customer.objects.with_role("affiliate").filter(pk=affiliate_id).first()
    return None


@transaction.atomic
def sign_up(
    *,
    form: str,
    email: str,
    password: str,
    values: dict[str, Any],
    attribution: dict[str, Any] | None = None,
    skip_steps: list[str] | None = None,
    send_confirmation: bool = True,
) -> Customer:
    """Create a portal login and its client from a demo or real sign-up form.

    The form's required fields must be filled, the country open for sign-up and the email new. The client
    starts inactive until the email is confirmed; a confirmation email goes out after commit (unless
    `send_confirmation` is false: a partner that sends its own; the client can ask for one later). The
    referral key (`wtreferrer`) or affiliate id make the introducer; every attribution value is kept raw.
    """
    if form not in SIGN_UP_FORMS:
        raise DomainError(_("Unknown sign-up form."), code="invalid_form", fields={"form": ["demo or real."]})
    unknown = set(values) - set(PORTAL_FIELDS)
    if unknown:
        raise DomainError(
            _("Unknown fields: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    email = normalize_email(email)
    attribution = {key: value for key, value in (attribution or {}).items() if not _blank(value)}
    missing = missing_fields(Customer(), SIGN_UP_FORMS[form], values)
    if missing:
        raise DomainError(
            _("Fill in the required fields."),
            code="validation_error",
            fields={name: [_("This field is required.")] for name in missing},
        )
    _check_country(values.get("country"))
    if User.objects.filter(email=email).exists() or Customer.objects.filter(email__iexact=email).exists():
        raise EmailTaken(_("This email is already registered."), fields={"email": [_("Already registered.")]})
    check_password_rules(
        password, email=email, first_name=values.get("first_name", ""), last_name=values.get("last_name", "")
    )
    skip = [step for step in (skip_steps or []) if step in OnboardingStep.values]
    # A client who names no language keeps the one the sign-up came in (Accept-Language): their emails speak it.
    if _blank(values.get("language")):
        values = {**values, "language": translation.get_language() or settings.LANGUAGE_CODE}

    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=values.get("first_name", "")[:150],
        last_name=values.get("last_name", "")[:150],
        language=supported_language(values["language"]) or settings.LANGUAGE_CODE,
    )
    profile: dict[str, Any] = {name: value for name, value in values.items() if not _blank(value)}
    profile.update({name: str(attribution[name])[:255] for name in ATTRIBUTION_FIELDS if name in attribution})
    customer = create_customer(
        actor=None,
        email=email,
        status=Customer.Status.INACTIVE,
        introducer=_introducer(attribution),
        **profile,
    )
    customer.user = user
    customer.campaign = str(attribution.get("campaign", ""))[:100]
    customer.attribution = {key: str(value)[:255] for key, value in attribution.items()}
    customer.skipped_onboarding_steps = skip
    customer.save(update_fields=["user", "campaign", "attribution", "skipped_onboarding_steps", "updated_at"])
    customer.roles.add(*ClientRole.objects.filter(name="trader"))
    record_activity(
        actor=user, action="customer.registered", target=customer, data={"form": form, "attribution": attribution}
    )
    emit("customer.registered", customer_id=customer.pk, form=form, introducer_id=customer.introducer_id)
    if send_confirmation:
        send_email_confirmation(customer)
    return customer


@dataclass(frozen=True)
class LoginResult:
    customer: Customer
    tokens: dict[str, str]
    device: Device | None


def _refuse(email: str, user: User | None, reason: str, request_meta: dict[str, Any], error: DomainError) -> NoReturn:
    security.record_login(
        email=email,
        user=user,
        ip=request_meta.get("ip"),
        user_agent=request_meta.get("user_agent", ""),
        result=LoginRecord.Result.FAILURE,
        reason=reason,
    )
    raise error


def portal_customer_of(user: User) -> Customer | None:
    """The client record a user may use the portal with, or None (staff, inactive, banned, deleted ...)."""
    if not user.is_active or user.is_staff or user.is_service_account:
        return None
    customer = Customer.objects.filter(user=user).first()
    if customer is None or customer.status not in (Customer.Status.ACTIVE, Customer.Status.INACTIVE):
        return None
    return customer


def log_in(
    *, email: str, password: str, otp_code: str = "", meta: dict[str, Any], device: dict[str, str] | None = None
) -> LoginResult:
    """Check the password (and the one-time code when two-factor is on), the lock-out and the BeforeSignIn steps.

    Every attempt is written as a login record; repeated failures lock the email out for a while.
    """
    email = normalize_email(email)
    if security.is_locked_out(email):
        _refuse(
            email, None, LoginRecord.Reason.LOCKED, meta, LoginLocked(_("Too many failed log-ins; try again later."))
        )
    user = User.objects.filter(email=email).first()
    if user is None:
        make_password(password)  # same work as a real check, so timing does not tell which emails exist
        _refuse(
            email, None, LoginRecord.Reason.BAD_CREDENTIALS, meta, InvalidCredentials(_("Wrong email or password."))
        )
    if not user.check_password(password):
        _refuse(
            email, user, LoginRecord.Reason.BAD_CREDENTIALS, meta, InvalidCredentials(_("Wrong email or password."))
        )
    customer = portal_customer_of(user)
    if customer is None:
        error: DomainError = PermissionDenied(
            _("This account cannot log into the portal."), code="account_not_allowed"
        )
        _refuse(email, user, LoginRecord.Reason.NOT_ALLOWED, meta, error)
    if security.has_two_factor(user):
        if not otp_code:
            error = SecondFactorRequired(_("Enter the code from your authenticator app."))
            _refuse(email, user, LoginRecord.Reason.OTP_REQUIRED, meta, error)
        if not security.verify_second_factor(user, otp_code):
            error = InvalidCredentials(
                _("The code is not valid."), code="invalid_otp", fields={"otp_code": [_("Wrong code.")]}
            )
            _refuse(email, user, LoginRecord.Reason.BAD_OTP, meta, error)
    pending = pending_steps(customer, OnboardingStage.BEFORE_SIGN_IN)
    if pending:
        _refuse(
            email,
            user,
            LoginRecord.Reason.ONBOARDING,
            meta,
            OnboardingIncomplete(OnboardingStage.BEFORE_SIGN_IN, pending),
        )
    return start_session(customer, meta=meta, device=device, reason=LoginRecord.Reason.PASSWORD)


def refresh_session(refresh: str) -> dict[str, str]:
    """Trade a portal refresh token for a new pair (the old one stops working), for a client who may still use the
    portal; the device the session was started on keeps following the new refresh token."""
    try:
        with transaction.atomic():
            old, tokens = security.rotate_refresh_token(refresh)
            user_id, device_id = old.get("user_id"), old.get(security.DEVICE_CLAIM)
            customer = Customer.objects.filter(user_id=user_id).select_related("user").first()
            if customer is None or portal_customer_of(cast(User, customer.user)) is None:
                raise InvalidRefreshToken(_("This account cannot use the portal."), code="account_not_allowed")
            if device_id:
                new_jti = RefreshToken(tokens["refresh"])["jti"]  # type: ignore[arg-type]  # simplejwt takes the encoded token; its hints say Token
                Device.objects.filter(pk=device_id, user_id=user_id).update(refresh_jti=new_jti)
    except TokenError as exc:
        raise InvalidRefreshToken(_("The refresh token is not valid.")) from exc
    return tokens


def end_session(user: User, refresh: str) -> None:
    """Revoke the caller's own refresh token: it cannot be used again."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # simplejwt takes the encoded token; its hints say Token
    except TokenError as exc:
        raise InvalidRefreshToken(_("The refresh token is not valid.")) from exc
    if str(token.get("user_id")) != str(user.pk):
        raise InvalidRefreshToken(_("The refresh token is not yours."))
    token.blacklist()


@transaction.atomic
def start_session(
    customer: Customer, *, meta: dict[str, Any], device: dict[str, str] | None, reason: str
) -> LoginResult:
    """Register the device, issue tokens and write the successful login record."""
    user = cast(User, customer.user)  # a portal client has a login
    registered = None
    if device is not None:
        registered = security.register_device(
            user,
            platform=device.get("platform", ""),
            user_agent=device.get("user_agent") or meta.get("user_agent", ""),
            web_timezone=device.get("web_timezone", ""),
            ip=meta.get("ip"),
        )
    tokens = security.issue_tokens(user, device=registered)
    security.record_login(
        email=user.email,
        user=user,
        ip=meta.get("ip"),
        user_agent=meta.get("user_agent", ""),
        result=LoginRecord.Result.SUCCESS,
        reason=reason,
    )
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(last_login_at=now, last_activity_at=now)
    return LoginResult(customer=customer, tokens=tokens, device=registered)


@transaction.atomic
def impersonate_customer(customer: Customer, *, actor: User) -> tuple[str, Any]:
    """A short-lived portal access token for the client, issued to a staff member holding the permission.

    The client sees it in their login records; the activity log names the staff member.
    """
    if not actor.has_perm("customers.impersonate_customer"):
        raise PermissionDenied(_("You may not log in as clients."))
    user = customer.user
    if user is None or portal_customer_of(user) is None:
        raise DomainError(_("This client has no portal account that can log in."), code="no_portal_account")
    token = security.impersonation_token(user, staff=actor)
    expires_at = dt.datetime.fromtimestamp(token["exp"], tz=dt.UTC)
    security.record_login(
        email=user.email,
        user=user,
        ip=context.current().ip,
        user_agent="",
        result=LoginRecord.Result.SUCCESS,
        reason=LoginRecord.Reason.IMPERSONATION,
        impersonated_by=actor,
    )
    record_activity(actor=actor, action="customer.impersonated", target=customer, data={"expires_at": expires_at})
    return str(token), expires_at
