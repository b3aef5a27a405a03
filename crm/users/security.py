"""Portal account security: JWT sessions, one-time tokens, login records and lock-out, devices, client 2FA.

Only keyed hashes of one-time secrets are stored. Failures (a wrong code, a failed log-in) are written in
their own transaction before the refusal is raised, so the refusal cannot roll them back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from crm.core.exceptions import DomainError
from crm.core.services import record_activity
from crm.users.models import Device, LoginRecord, OneTimeToken, User

MAX_CODE_ATTEMPTS = 5
RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "Recovery codes"
IMPERSONATOR_CLAIM = "impersonator"
DEVICE_CLAIM = "device"


class InvalidToken(DomainError):
    """A one-time token or code that is unknown, used, expired or wrong."""

    code = "invalid_token"
    status_code = 400


# One-time tokens ---------------------------------------------------------------------------


def keyed_hash(secret: str) -> str:
    """HMAC-SHA256 of a secret under SECRET_KEY: a leaked table does not give the secrets or a way to test them."""
    return salted_hmac("crm.users.one-time-token", secret, algorithm="sha256").hexdigest()


@transaction.atomic
def issue_one_time_token(
    user: User, *, purpose: str, sent_to: str, lifetime: dt.timedelta, short_code: bool = False
) -> tuple[OneTimeToken, str]:
    """A new secret for `purpose`, valid for `lifetime` (earlier unused ones of the same purpose stop working);
    returns it raw, once."""
    now = timezone.now()
    OneTimeToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    raw = f"{secrets.randbelow(10**6):06d}" if short_code else secrets.token_urlsafe(32)
    token = OneTimeToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=keyed_hash(raw),
        sent_to=sent_to,
        created_at=now,
        expires_at=now + lifetime,
    )
    return token, raw


def _refuse_unusable(token: OneTimeToken | None) -> OneTimeToken:
    if token is None:
        raise InvalidToken(_("The link or code is not valid."))
    if token.used_at is not None:
        raise InvalidToken(_("The link or code has already been used."), code="token_used")
    if token.expires_at <= timezone.now():
        raise InvalidToken(_("The link or code has expired."), code="token_expired")
    return token


@transaction.atomic
def consume_token(raw: str, *, purpose: str) -> OneTimeToken:
    """Use a long token once: the second use, an expired or an unknown token is refused.

    "Used" is decided by the database, whatever the cache: one conditional UPDATE (`WHERE used_at IS NULL`)
    marks the token, so of several concurrent uses, from any number of processes, exactly one succeeds.
    """
    token = (
        OneTimeToken.objects.select_related("user").filter(purpose=purpose, token_hash=keyed_hash(raw or "")).first()
    )
    token = _refuse_unusable(token)
    now = timezone.now()
    claimed = OneTimeToken.objects.filter(pk=token.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not claimed:
        raise InvalidToken(_("The link or code has already been used."), code="token_used")
    token.used_at = now
    return token


def consume_code(user: User, code: str, *, purpose: str, sent_to: str) -> OneTimeToken:
    """Use the user's latest short code once; wrong guesses are counted and kill the code after a few."""
    with transaction.atomic():
        token = (
            OneTimeToken.objects.select_for_update()
            .filter(user=user, purpose=purpose, used_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if token is None or token.sent_to != sent_to:
            raise InvalidToken(_("Ask for a new code."), code="code_not_sent")
        if token.expires_at <= timezone.now():
            raise InvalidToken(_("The code has expired; ask for a new one."), code="token_expired")
        matched = constant_time_compare(token.token_hash, keyed_hash((code or "").strip()))
        if matched:
            token.used_at = timezone.now()
            token.save(update_fields=["used_at"])
            return token
        token.failed_attempts += 1
        if token.failed_attempts >= MAX_CODE_ATTEMPTS:
            token.used_at = timezone.now()
        token.save(update_fields=["failed_attempts", "used_at"])
    raise InvalidToken(_("The code is not valid."), code="invalid_code", fields={"code": [_("Wrong code.")]})


# JWT sessions ------------------------------------------------------------------------------


def issue_tokens(user: User, *, device: Device | None = None) -> dict[str, str]:
    """A new refresh/access pair; the device (if any) remembers its refresh token so removing it logs it out."""
    refresh = RefreshToken.for_user(user)
    if device is not None:
        refresh[DEVICE_CLAIM] = device.pk
        Device.objects.filter(pk=device.pk).update(refresh_jti=refresh["jti"])
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def rotate_refresh_token(raw: str) -> tuple[RefreshToken, dict[str, str]]:
    """Trade a refresh token for a new pair, once. Returns the old token (its claims) and the new pair.

    A forged, expired or blacklisted token raises simplejwt's `TokenError`. The old token is blacklisted by
    inserting its blacklist row (one per token, a unique column) before the new pair is made, so of several
    concurrent uses of one refresh token, from any number of processes, exactly one gets a new pair.
    (simplejwt's own refresh checks the blacklist and then adds to it with `get_or_create`: two concurrent
    uses both passed.)
    """
    # The stubs type the argument as a Token; simplejwt takes the encoded text.
    refresh = RefreshToken(raw)  # type: ignore[arg-type]
    old = RefreshToken(raw)  # type: ignore[arg-type]
    outstanding, _unused = OutstandingToken.objects.get_or_create(
        jti=refresh["jti"],
        defaults={
            "user": User.objects.filter(pk=refresh.get("user_id")).first(),
            "token": raw,
            "created_at": refresh.current_time,
            "expires_at": dt.datetime.fromtimestamp(refresh["exp"], tz=dt.UTC),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as exc:
        raise TokenError(_("Token is blacklisted")) from exc
    pair = {"access": str(refresh.access_token)}
    refresh.set_jti()
    refresh.set_exp()
    refresh.set_iat()
    refresh.outstand()
    pair["refresh"] = str(refresh)
    return old, pair


def impersonation_token(user: User, *, staff: User) -> AccessToken:
    """A short access token for `user` carrying the staff member's id; no refresh token, so it just runs out."""
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=dt.timedelta(minutes=settings.IMPERSONATION_MINUTES))
    token[IMPERSONATOR_CLAIM] = staff.pk
    return token


def revoke_refresh_tokens(user: User, *, jtis: list[str] | None = None) -> int:
    """Blacklist the user's outstanding refresh tokens (all, or those with the given ids)."""
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
    if jtis is not None:
        outstanding = outstanding.filter(jti__in=jtis)
    count = 0
    for token in outstanding.exclude(blacklistedtoken__isnull=False):
        BlacklistedToken.objects.get_or_create(token=token)
        count += 1
    return count


# Login records, lock-out, devices -----------------------------------------------------------


def record_login(
    *,
    email: str,
    user: User | None,
    ip: str | None,
    user_agent: str,
    result: str,
    reason: str,
    impersonated_by: User | None = None,
) -> LoginRecord:
    """Write one login record in its own transaction (it stays even when the log-in is refused)."""
    with transaction.atomic():
        return LoginRecord.objects.create(
            email=(email or "").strip().lower()[:254],
            user=user,
            ip_address=ip,
            user_agent=(user_agent or "")[:255],
            result=result,
            reason=reason,
            impersonated_by=impersonated_by,
        )


COUNTED_FAILURES = (LoginRecord.Reason.BAD_CREDENTIALS, LoginRecord.Reason.BAD_OTP)


def is_locked_out(email: str) -> bool:
    """Too many failed log-ins for this email within the lock-out window, since its last success."""
    since = timezone.now() - dt.timedelta(minutes=settings.PORTAL_LOGIN_LOCKOUT_MINUTES)
    email = (email or "").strip().lower()
    last_success = (
        LoginRecord.objects.filter(email=email, result=LoginRecord.Result.SUCCESS, created_at__gte=since)
        .exclude(reason=LoginRecord.Reason.IMPERSONATION)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    failures = LoginRecord.objects.filter(
        email=email,
        result=LoginRecord.Result.FAILURE,
        reason__in=COUNTED_FAILURES,
        created_at__gte=max(since, last_success) if last_success else since,
    )
    return failures.count() >= settings.PORTAL_LOGIN_FAILURE_LIMIT


def device_key(*, platform: str, user_agent: str, web_timezone: str) -> str:
    return hashlib.sha256(f"{platform}\x00{user_agent}\x00{web_timezone}".encode()).hexdigest()


@transaction.atomic
def register_device(
    user: User, *, platform: str = "", user_agent: str = "", web_timezone: str = "", ip: str | None = None
) -> Device:
    """The device a client logs in from, created on first sight, with its last sign-in time and address."""
    key = device_key(platform=platform, user_agent=user_agent, web_timezone=web_timezone)
    device, created = Device.objects.select_for_update().get_or_create(
        user=user,
        key=key,
        defaults={
            "platform": platform[:100],
            "user_agent": user_agent[:255],
            "web_timezone": web_timezone[:64],
        },
    )
    device.ip_address = ip
    device.last_sign_in = timezone.now()
    device.save(update_fields=["ip_address", "last_sign_in", "updated_at"])
    if created:
        record_activity(actor=user, action="device.added", target=user, data={"device_id": device.pk})
    return device


@transaction.atomic
def remove_device(device: Device, *, actor: User) -> None:
    """Forget a device and end its session: its refresh token is blacklisted."""
    if device.refresh_jti:
        revoke_refresh_tokens(device.user, jtis=[device.refresh_jti])
    record_activity(actor=actor, action="device.removed", target=device.user, data={"device_id": device.pk})
    device.delete()


# Client two-factor (TOTP + recovery codes) --------------------------------------------------


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; each works once, instead of an authenticator code."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _unused in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def verified_device(user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The user's device that accepts `code`: an authenticator code not used before, or an unused recovery code
    (which is used up). None when none does.

    The devices are read under row locks, so concurrent log-ins with one code (from any number of processes)
    see each other's use: django-otp's replay guard (`last_t`) and the recovery code's deletion are decided in
    the database, and only the first of them is accepted.
    """
    code = (code or "").strip().replace(" ", "")
    if not code:
        return None
    for device_class in (TOTPDevice, StaticDevice):
        for device in device_class.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
            if device.verify_token(code):
                return device
    return None


def verify_second_factor(user: User, code: str) -> bool:
    """An authenticator code or an unused recovery code of the user (a recovery code is used up)."""
    return verified_device(user, code) is not None


@transaction.atomic
def disable_two_factor(user: User, *, actor: User) -> None:
    """Remove the authenticator and the recovery codes: log-in asks for the password alone again."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record_activity(actor=actor, action="two_factor.disabled", target=user)
