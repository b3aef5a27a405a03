from __future__ import annotations

import dataclasses
import functools
import hashlib
import ipaddress
import secrets
import zoneinfo
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Group, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel


class UserQuerySet(models.QuerySet):
    def people(self) -> UserQuerySet:
        """Everyone but API-token service accounts."""
        return self.filter(is_service_account=False)

    def active_staff(self) -> UserQuerySet:
        """Staff who can be given work: active, with admin access, not a service account."""
        return self.people().filter(is_active=True, is_staff=True)

    def available(self) -> UserQuerySet:
        """Active staff who are not marked absent: the ones round-robin may give a lead to."""
        return self.active_staff().filter(is_absent=False)


# django-stubs cannot follow from_queryset on BaseUserManager (its queryset methods are typed Any).
class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def normalize_email(self, email: str | None) -> str:
        return (email or "").strip().lower()

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email=self.normalize_email(username))


def validate_time_zone(value: str) -> None:
    """An IANA time zone name the server knows (Europe/London, Asia/Dubai ...)."""
    if value and value not in available_time_zones():
        raise ValidationError(_("Not a known time zone."))


@functools.cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class User(AbstractBaseUser, PermissionsMixin):
    """A person or service that logs in: staff (admin), clients (portal) and API-token service accounts.

    A service account (`is_service_account`) exists only to act for one API token: it has an unusable password,
    never logs into the admin, and its only group is the token's role, so the token acts with exactly that
    role's permissions. Row scoping treats it like any staff member of that role: with a "view all" permission
    it sees everything, without one it sees the rows assigned to it, which is none.
    """

    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text=_("Can log into the admin."))
    is_active = models.BooleanField(default=True)
    is_service_account = models.BooleanField(
        default=False, help_text=_("Acts for an API token; cannot log in with a password.")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="en",
        choices=settings.LANGUAGES,
        help_text=_("The language of the admin for this person; empty: the browser's language."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Times in the admin are shown in this zone (e.g. Europe/London); empty: the server's zone."),
    )
    is_absent = models.BooleanField(
        default=False, help_text=_("Away (leave, sick): skipped when new leads are handed out round-robin.")
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = User.objects.normalize_email(self.email)

    def save(self, *args, **kwargs) -> None:
        # Emails are stored lower-case, so the unique index is case-insensitive.
        self.email = User.objects.normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @functools.cached_property
    def book(self) -> Book:
        """Whose clients and leads this staff member handles: their own, and every member's of the desks they
        manage. Read with one query and kept on this user object (a request's user: its desks as they were)."""
        desks: set[int] = set()
        agents = {self.pk}
        for desk_id, member_id in Desk.objects.filter(manager_id=self.pk).values_list("pk", "members"):
            desks.add(desk_id)
            if member_id is not None:
                agents.add(member_id)
        return Book(desk_ids=frozenset(desks), agent_ids=frozenset(agents))


@dataclasses.dataclass(frozen=True)
class Book:
    """The desks a staff member manages and the agents (themself included) whose clients they handle."""

    desk_ids: frozenset[int]
    agent_ids: frozenset[int]


def hash_token(raw: str) -> str:
    """SHA-256 of a key: keys are 256 random bits, so a fast hash is enough and lookups stay indexed."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        """Tokens whose key is accepted now (allow-list aside)."""
        now = timezone.now()
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now), user__is_active=True)

    def for_list(self) -> ApiTokenQuerySet:
        """The joins the token list needs."""
        return self.select_related("role", "created_by")


class ApiToken(TimeStampedModel):
    """A server-to-server identification token: stored hashed, shown once, acting with its role.

    Only the SHA-256 of the key is stored, with its first characters to tell tokens apart. Name, role and
    expiry are fixed at creation; the IP allow-list is the one thing that can change; deletion is final.
    The token authenticates as its service account (`user`), whose permissions are exactly the role's.
    """

    PREFIX_LENGTH = 8

    name = models.CharField(max_length=100)
    role = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="api_tokens")
    # The service account the token acts as; its groups are exactly the token's role.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    key_prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: valid until deleted."))
    allowed_ips = models.JSONField(
        default=list, blank=True, help_text=_("IP addresses or networks (CIDR); empty: any address.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def generate_key() -> str:
        return secrets.token_urlsafe(32)

    def clean(self) -> None:
        super().clean()
        self.allowed_ips = normalize_ip_list(self.allowed_ips)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def allows_ip(self, ip: str | None) -> bool:
        if not self.allowed_ips:
            return True
        if not ip:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in self.allowed_ips)


def normalize_ip_list(values) -> list[str]:
    """Validate and normalise an allow-list; accepts a list or a comma/space/newline separated string."""
    if isinstance(values, str):
        values = values.replace(",", " ").split()
    normalized = []
    for value in values or []:
        try:
            normalized.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError as exc:
            raise ValidationError(
                {"allowed_ips": _("%(value)s is not an IP address or network.") % {"value": value}}
            ) from exc
    return normalized


class LoginRecordQuerySet(models.QuerySet):
    def for_list(self) -> LoginRecordQuerySet:
        return self.select_related("impersonated_by")


class LoginRecord(models.Model):
    """One attempt to log into the portal (004 Authorization Record): who, from where, when, and the result."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    class Reason(models.TextChoices):
        PASSWORD = "password", _("Password")
        BAD_CREDENTIALS = "bad_credentials", _("Wrong email or password")
        BAD_OTP = "bad_otp", _("Wrong one-time code")
        OTP_REQUIRED = "otp_required", _("One-time code required")
        LOCKED = "locked", _("Locked out")
        CAPTCHA = "captcha", _("CAPTCHA refused")
        ONBOARDING = "onboarding", _("Onboarding steps pending")
        NOT_ALLOWED = "not_allowed", _("Account not allowed")
        IMPERSONATION = "impersonation", _("Staff impersonation")
        SIGN_UP = "sign_up", _("Sign-up")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="login_records"
    )
    # Kept for failures of unknown emails, and counted by the lock-out.
    email = models.EmailField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.PASSWORD)
    impersonated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = LoginRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["email", "-created_at"], name="loginrecord_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} {self.result} {self.created_at:%Y-%m-%d %H:%M}"


class Device(TimeStampedModel):
    """A browser or app a client logged in from (004 Device); removing it ends its session."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    # SHA-256 of the fingerprint, so one browser is one row.
    key = models.CharField(max_length=64)
    platform = models.CharField(max_length=100, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    web_timezone = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    last_sign_in = models.DateTimeField(null=True, blank=True)
    # The refresh token most recently issued to this device, blacklisted when the device is removed.
    refresh_jti = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-last_sign_in", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="device_once_per_user")]

    def __str__(self) -> str:
        return f"{self.platform or 'device'} #{self.pk}"


class OneTimeToken(models.Model):
    """A single-use, expiring secret sent to a user (email confirmation, phone code, password reset, auto-login).

    Only a keyed hash of the secret is stored; using it once marks it used, and wrong guesses of a short
    code are counted so the code dies after a few.
    """

    class Purpose(models.TextChoices):
        EMAIL_CONFIRMATION = "email_confirmation", _("Email confirmation")
        PHONE_CONFIRMATION = "phone_confirmation", _("Phone confirmation")
        PASSWORD_RESET = "password_reset", _("Password reset")
        AUTOLOGIN = "autologin", _("Auto-login link")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="one_time_tokens")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, db_index=True)
    # What the secret was sent to (an email address or phone number): a change of it voids the token.
    sent_to = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "purpose", "-created_at"], name="onetimetoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} for {self.user_id}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class DeskQuerySet(models.QuerySet):
    def for_list(self) -> DeskQuerySet:
        """A desk row with its manager and members, in a fixed number of queries."""
        return self.select_related("manager").prefetch_related("members")


class Desk(TimeStampedModel):
    """A team of staff with a manager: conversion desks work new leads, retention desks work depositing clients.

    `last_assigned_agent` is the round-robin position: the next lead routed to the desk goes to the first
    available member after that agent (by id), wrapping around. It is read and moved under a row lock.
    """

    class Type(models.TextChoices):
        CONVERSION = "conversion", _("Conversion")
        RETENTION = "retention", _("Retention")

    name = models.CharField(max_length=100, unique=True)
    desk_type = models.CharField(max_length=12, choices=Type.choices, default=Type.CONVERSION)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_desks"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="desks")
    last_assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = DeskQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
