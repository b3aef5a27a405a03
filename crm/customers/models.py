from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country as CountryValue
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField

from crm.core.models import TimeStampedModel, private_storage


def country_value(value: str) -> CountryValue:
    """A CountryField's value as django-countries returns it (the stubs type the field as the stored code)."""
    return cast(CountryValue, value)


class Country(TimeStampedModel):
    """A country the broker serves; disabled countries are refused at sign-up."""

    code = CountryField(unique=True)
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        country = country_value(self.code)
        return f"{country.name} ({country.code})"


class ClientType(TimeStampedModel):
    """Individual or corporate client type (004 Client Type); the default one is given at sign-up."""

    class Group(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CORPORATIVE = "corporative", _("Corporate")

    name = models.CharField(max_length=100, unique=True)
    group = models.CharField(max_length=20, choices=Group.choices, default=Group.INDIVIDUAL)
    is_default = models.BooleanField(default=False)
    is_enabled = models.BooleanField(default=True)
    has_wizard = models.BooleanField(default=False, help_text=_("Show the onboarding wizard to clients of this type."))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_client_type"
            )
        ]

    def __str__(self) -> str:
        return self.name


class VerificationLevel(TimeStampedModel):
    """A KYC tier that grants operations and limits (004 Verification Level), not a yes/no flag."""

    class Operation(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAW = "withdraw", _("Withdraw")
        TRANSFER = "transfer", _("Internal transfer")
        TRADE = "trade", _("Trade")
        OPEN_LIVE_ACCOUNT = "open_live_account", _("Open live account")

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    rank = models.PositiveSmallIntegerField(default=0, help_text=_("Higher ranks are further along."))
    next_level = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_default = models.BooleanField(default=False, help_text=_("Given to every new client."))
    is_visible = models.BooleanField(default=True)
    allowed_operations = models.JSONField(
        default=list, blank=True, help_text=_("Operations a client at this level may do.")
    )
    required_document_groups = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Documents that must be approved to reach this level: a list of groups, each a list of document types "
            'of which any one will do, e.g. [["passport", "id_card"], ["proof_of_address"]] (passport or ID card, '
            "and proof of address). A plain type counts as a group of one."
        ),
    )

    class Meta:
        ordering = ["rank", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_level")
        ]

    def __str__(self) -> str:
        return self.name

    def allows(self, operation: str) -> bool:
        return operation in self.allowed_operations

    def document_groups(self) -> list[list[str]]:
        """The required documents as groups; a group is met by any one approved document of its types."""
        return [[group] if isinstance(group, str) else list(group) for group in self.required_document_groups or []]

    def clean(self) -> None:
        super().clean()
        groups = self.required_document_groups or []
        known = set(Document.Type.values)
        valid = isinstance(groups, list) and all(
            (isinstance(group, str) and group in known)
            or (isinstance(group, list) and group and all(isinstance(t, str) and t in known for t in group))
            for group in groups
        )
        if not valid:
            raise ValidationError(
                {"required_document_groups": [_("A list of groups of document types: %s.") % ", ".join(sorted(known))]}
            )


class VerificationLimit(models.Model):
    """Per-currency limits of a verification level; an empty limit means no limit."""

    level = models.ForeignKey(VerificationLevel, on_delete=models.CASCADE, related_name="limits")
    currency = models.CharField(max_length=10)
    daily_deposit = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    daily_withdrawal = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    monthly_withdrawal = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    daily_internal_transfer = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    auto_withdrawal = models.DecimalField(
        max_digits=20, decimal_places=8, null=True, blank=True, help_text=_("Withdrawable without staff approval.")
    )
    transfer_min = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "currency"], name="one_limit_per_level_currency")]

    def __str__(self) -> str:
        return f"{self.currency} limits"


class SalesStatus(TimeStampedModel):
    """A sales status shared by leads and clients (000 Sales Status), shown in its colour."""

    name = models.CharField(max_length=100, unique=True)
    color = models.CharField(max_length=7, default="#64748b", help_text=_("Hex colour, e.g. #22c55e"))
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = _("sales statuses")

    def __str__(self) -> str:
        return self.name


class ClientRole(models.Model):
    """A role a client holds in the product (trader, affiliate, leader, partner)."""

    name = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientGroup(TimeStampedModel):
    """A segment staff put clients in (VIP, Islamic, High risk ...)."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Search: shorter numbers are ids only; ids fit a signed 64-bit column.
PHONE_SEARCH_MIN_DIGITS = 5
MAX_PK = 2**63 - 1


def profile_picture_path(instance: Customer, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"avatars/{instance.pk}/{uuid.uuid4().hex}{suffix}"


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user) -> CustomerQuerySet:
        """Clients this staff user may see: all with `view_all_customers`; otherwise the ones they handle as
        conversion or retention agent, and a desk manager also every client the desk's members handle."""
        if not (user and user.is_authenticated and user.is_staff):
            return self.none()
        if user.has_perm("customers.view_all_customers"):
            return self
        agents = user.book.agent_ids
        if agents == {user.pk}:
            return self.filter(Q(conversion_agent_id=user.pk) | Q(retention_agent_id=user.pk))
        return self.filter(Q(conversion_agent_id__in=sorted(agents)) | Q(retention_agent_id__in=sorted(agents)))

    def for_list(self) -> CustomerQuerySet:
        """Everything a list row shows, in a fixed number of queries."""
        return self.select_related(
            "conversion_agent", "retention_agent", "sales_status", "client_type", "verification_level", "introducer"
        ).prefetch_related("roles", "groups")

    def search(self, term: str) -> CustomerQuerySet:
        """Clients matching a search box term, with index-friendly lookups only (prefixes, exact id).

        A number finds the client with that id or phones starting with it; "+..." a phone prefix;
        a term with "@" an email prefix; words an email or last-name prefix, or "first last" prefixes.
        The PostgreSQL pattern-ops indexes of migration 0004 serve every prefix.
        """
        term = " ".join((term or "").split())
        if not term:
            return self
        digits = term.lstrip("#+").replace(" ", "")
        if term.startswith("+") and digits.isdigit():
            return self.filter(phone__startswith=f"+{digits}")
        if digits.isdigit():
            condition = Q(phone__startswith=f"+{digits}") if len(digits) >= PHONE_SEARCH_MIN_DIGITS else Q()
            if int(digits) <= MAX_PK:
                condition |= Q(pk=int(digits))
            return self.filter(condition) if condition else self.none()
        if "@" in term:
            return self.filter(email__startswith=term.lower())
        condition = Q(email__startswith=term.lower()) | Q(last_name__istartswith=term)
        first, _, rest = term.partition(" ")
        if rest:
            condition |= Q(first_name__istartswith=first, last_name__istartswith=rest)
        return self.filter(condition)

    def with_role(self, *names: str) -> CustomerQuerySet:
        return self.filter(
            Exists(Customer.roles.through.objects.filter(customer=OuterRef("pk"), clientrole__name__in=names))
        )


class Customer(TimeStampedModel):
    """A client of the broker (a trader, and possibly an introducer of other clients).

    Indexes: see Meta; a field's own index (db_index, unique) says there what it serves.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        BANNED = "banned", _("Banned")
        DELETED = "deleted", _("Deleted")

    class KycStatus(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")

    class RiskStatus(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        REVIEW = "review", _("Under review")

    # No index of its own: lists and filters go by registered_at; nothing orders or filters clients by created_at.
    created_at = models.DateTimeField(auto_now_add=True)

    # Portal login; empty for a client staff created who has not logged in yet. Its unique index
    # (customers_customer_user_id_key) is also the portal's lookup of the logged-in user's client.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField()
    # Indexed by customer_phone_pattern_idx (migrations 0004, 0013): pattern ops serve both the search by prefix
    # and the duplicate lookup by whole number, so no plain btree beside it.
    phone = PhoneNumberField(blank=True)
    country = CountryField(blank=True)  # see Meta
    language = models.CharField(max_length=10, default="en", help_text=_("Communication language"))
    date_of_birth = models.DateField(null=True, blank=True)
    address_line1 = models.CharField(_("address line 1"), max_length=255, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=10, default="USD", help_text=_("Base currency of the client"))

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)  # see Meta
    # No index on client_type, kyc_reviewed_by, verification_level: no list, filter or lookup selects clients
    # by them; only deleting a type, a level or a staff member does (rare; it scans), and every write of a
    # client would pay for the index.
    client_type = models.ForeignKey(
        ClientType, null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+"
    )
    roles = models.ManyToManyField(ClientRole, blank=True, related_name="customers")
    groups = models.ManyToManyField(ClientGroup, blank=True, related_name="customers")
    kyc_status = models.CharField(  # see Meta
        _("KYC status"), max_length=12, choices=KycStatus.choices, default=KycStatus.NOT_STARTED
    )
    kyc_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("KYC reviewed by"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kyc_reviewed_at = models.DateTimeField(_("KYC reviewed at"), null=True, blank=True)
    verification_level = models.ForeignKey(
        VerificationLevel, null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="customers"
    )
    risk_status = models.CharField(max_length=10, choices=RiskStatus.choices, default=RiskStatus.LOW)  # see Meta

    # Where the client came from
    source = models.CharField(max_length=100, blank=True)  # see Meta
    utm_source = models.CharField(_("UTM source"), max_length=255, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=255, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=255, blank=True)
    utm_term = models.CharField(_("UTM term"), max_length=255, blank=True)
    utm_content = models.CharField(_("UTM content"), max_length=255, blank=True)
    # Stored and shown, never looked up: no index.
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    # Indexed: the API's introducer_id filter and the changelist's introducer filter (an introducer's referrals).
    introducer = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals")

    # Who works the client
    # No index of their own: customer_conv_agent_idx and customer_ret_agent_idx (see Meta) start with them.
    conversion_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.SET_NULL,
        related_name="conversion_customers",
    )
    retention_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.SET_NULL,
        related_name="retention_customers",
    )
    # Indexed: the changelist's sales status filter and the API's sales_status_id filter.
    sales_status = models.ForeignKey(SalesStatus, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    # Dates and counters kept up to date by other domains' events
    # Indexed: the lists' default order (newest first), registered_after/before (API), the changelist's date range.
    registered_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(_("last log-in"), null=True, blank=True)
    # Indexed: last_activity_after/before and activity= (API), the changelist's activity and date range filters.
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    last_comment_at = models.DateTimeField(null=True, blank=True)
    # Indexed: has_ftd (API) and the changelist's "has deposited" filter.
    first_deposit_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_deposit_at = models.DateTimeField(null=True, blank=True)
    # Indexed: deposit_count= (API, "2" or "3+") and the changelist's deposit count filter.
    deposit_count = models.PositiveIntegerField(default=0, db_index=True)
    open_positions_count = models.PositiveIntegerField(default=0)
    termination_requested_at = models.DateTimeField(null=True, blank=True)

    # Portal onboarding and profile
    phone_confirmed_at = models.DateTimeField(null=True, blank=True)
    deposit_disclaimer_accepted_at = models.DateTimeField(null=True, blank=True)
    skipped_onboarding_steps = models.JSONField(
        default=list, blank=True, help_text=_("Onboarding steps this client does not have to do.")
    )
    profile_picture = models.FileField(
        upload_to=profile_picture_path, storage=private_storage, max_length=255, blank=True
    )
    # Attribution at sign-up: the client's own referral key, and the raw values the sign-up carried
    # (wtreferrer, affiliate, campaign ...), kept for the affiliate program to re-read.
    # Unique through Meta.constraints (customer_referral_key_unique), without the pattern-ops twin unique=True
    # would add: a key is only ever looked up whole. NULL, not "", for no key: NULLs do not clash.
    referral_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # Stored for attribution, read from the client, never looked up: no index.
    campaign = models.CharField(max_length=100, blank=True)
    attribution = models.JSONField(default=dict, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_at", "-id"]
        # Every index names the queries it serves; tests/customers/test_indexes.py shows each in EXPLAIN on
        # PostgreSQL and checks that the table has no other. Also, made by migration 0004 (pattern ops):
        # customer_email_pattern_idx, search by email prefix (changelist, API search=);
        # customer_last_name_upper_pattern_idx, search by last-name prefix; customer_phone_pattern_idx, see phone.
        constraints = [
            # One client per email, any case; the sign-up check and the lead import's duplicate lookup.
            models.UniqueConstraint(Lower("email"), name="customer_email_ci_unique"),
            # A referral link's key (sign-up attribution, the affiliates' lookups): an equality lookup.
            models.UniqueConstraint(fields=["referral_key"], name="customer_referral_key_unique"),
        ]
        indexes = [
            # The API's ordering=last_name.
            models.Index(fields=["last_name"], name="customer_last_name_idx"),
            # An agent's clients (visible_to, the changelist's and the API's agent filters), newest first.
            models.Index(fields=["conversion_agent", "-registered_at"], name="customer_conv_agent_idx"),
            models.Index(fields=["retention_agent", "-registered_at"], name="customer_ret_agent_idx"),
            # The API's updated_since (partners' incremental sync).
            models.Index(fields=["updated_at"], name="customer_updated_idx"),
            # The changelist's SourceFilter and the API's source= (matched whole: no pattern-ops twin).
            models.Index(fields=["source"], name="customer_source_idx"),
            # Choice and code columns, only ever compared whole: a plain btree each, without the pattern-ops
            # twin Django adds beside an indexed CharField on PostgreSQL (nothing searches them by prefix; the
            # twins cost every write of a client). tests/customers/test_indexes.py shows each in EXPLAIN.
            # The clients changelist's status filter and the back-office list's `status` filter.
            models.Index(fields=["status"], name="customer_status_idx"),
            # The changelist's KYC status filter, the API's `kyc_status` filter, the KYC review queue.
            models.Index(fields=["kyc_status"], name="customer_kyc_status_idx"),
            # The changelist's risk filter and the API's `risk_status` filter.
            models.Index(fields=["risk_status"], name="customer_risk_status_idx"),
            # The changelist's country filter and the API's `country` filter.
            models.Index(fields=["country"], name="customer_country_idx"),
        ]
        permissions = [
            ("view_all_customers", "Can view all clients"),
            ("view_personal_data", "Can see clients' full email and phone"),
            ("assign_customer", "Can assign agents to clients"),
            ("change_risk_status", "Can change a client's risk status"),
            ("change_client_groups", "Can change a client's groups, roles and client type"),
            ("change_introducer", "Can change a client's introducer"),
            ("change_customer_status", "Can change a client's status"),
            ("manage_kyc", "Can approve, revoke and reset KYC"),
            ("export_customer", "Can export clients"),
            ("impersonate_customer", "Can log into the portal as the client"),
            ("email_customer", "Can email a client from the admin"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.first_name} {self.last_name}".strip()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def has_ftd(self) -> bool:
        return self.first_deposit_at is not None


RowsT = TypeVar("RowsT", bound=QuerySet[Any])


def visible_client_rows(queryset: RowsT, user: Any, field: str = "customer") -> RowsT:
    """`queryset`'s rows about a client this staff user may see (`field`: the row's client foreign key).

    A "view all" holder's rows are filtered by nothing but having a client: a semi-join over every client
    would cost a scan of the clients table per query.
    """
    if not (user and user.is_authenticated and user.is_staff):
        return queryset.none()
    if user.has_perm("customers.view_all_customers"):
        nullable = queryset.model._meta.get_field(field).null
        return queryset.filter(**{f"{field}__isnull": False}) if nullable else queryset
    return queryset.filter(**{f"{field}__in": Customer.objects.visible_to(user)})


def document_upload_path(instance: Document, filename: str) -> str:
    # A random name: the original one may hold personal data and must not be guessable.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"kyc/{instance.customer_id}/{uuid.uuid4().hex}{suffix}"


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user) -> DocumentQuerySet:
        """Documents of the clients this staff user may see."""
        return visible_client_rows(self, user)


class Document(TimeStampedModel):
    """A KYC document a client or staff uploaded, kept in private storage, reviewed by compliance."""

    class Type(models.TextChoices):
        PASSPORT = "passport", _("Passport")
        ID_CARD = "id_card", _("ID card")
        DRIVING_LICENSE = "driving_license", _("Driving licence")
        PROOF_OF_ADDRESS = "proof_of_address", _("Proof of address")
        SELFIE = "selfie", _("Selfie")
        BANK_STATEMENT = "bank_statement", _("Bank statement")
        FUNDS_PROOF = "funds_proof", _("Proof of funds")
        CORPORATE = "corporate", _("Corporate document")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    document_type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    file = models.FileField(upload_to=document_upload_path, storage=private_storage, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    rejection_reason = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The KYC provider's id of the file ("sumsub:<image id>"), so a provider's result is stored once.
    provider_reference = models.CharField(max_length=100, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("review_document", "Can approve and reject KYC documents")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_reference"], condition=~Q(provider_reference=""), name="document_provider_ref_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} #{self.pk}"


class CommentQuerySet(models.QuerySet):
    def visible_to(self, user) -> CommentQuerySet:
        return visible_client_rows(self, user)


class Comment(TimeStampedModel):
    """A note staff wrote on a client."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:50]


class Bookmark(models.Model):
    """A client a staff member keeps at hand."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "customer"], name="bookmark_once")]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.customer_id}"


# Calls, onboarding configuration and KYC webhooks live in their own modules; importing them here registers them.
from crm.customers.contact_models import Call  # noqa: E402
from crm.customers.portal_models import (  # noqa: E402
    CustomerFieldConfiguration,
    KycWebhook,
    OnboardingStage,
    OnboardingStep,
    OnboardingStepConfiguration,
)

__all__ = [
    "Bookmark",
    "Call",
    "ClientGroup",
    "ClientRole",
    "ClientType",
    "Comment",
    "Country",
    "Customer",
    "CustomerFieldConfiguration",
    "Document",
    "KycWebhook",
    "OnboardingStage",
    "OnboardingStep",
    "OnboardingStepConfiguration",
    "SalesStatus",
    "VerificationLevel",
    "VerificationLimit",
]
