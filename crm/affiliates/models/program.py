"""Affiliate profiles and their tree, API keys, campaigns and links, buckets and sources, attribution."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel

REFERRAL_KEY_MIN, REFERRAL_KEY_MAX = 5, 20
REFERRAL_KEY = RegexValidator(
    rf"^[A-Za-z0-9_-]{{{REFERRAL_KEY_MIN},{REFERRAL_KEY_MAX}}}$",
    _("5 to 20 letters, digits, '-' or '_'."),
)


def grey_label_path(instance: Affiliate, filename: str) -> str:
    import uuid
    from pathlib import PurePath

    return f"grey-label/{instance.pk}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class AffiliateQuerySet(models.QuerySet):
    def visible_to(self, user) -> AffiliateQuerySet:
        """Affiliates this staff user may see: all with `view_all_affiliates`, otherwise the ones they manage."""
        if not (user and user.is_authenticated and user.is_staff):
            return self.none()
        if user.has_perm("affiliates.view_all_affiliates"):
            return self
        return self.filter(manager=user)

    def for_list(self) -> AffiliateQuerySet:
        return self.select_related("customer", "parent__customer", "commission_model", "manager")

    def active(self) -> AffiliateQuerySet:
        return self.filter(status=Affiliate.Status.ACTIVE)

    def downline_of(self, affiliate: Affiliate, *, include_self: bool = False) -> AffiliateQuerySet:
        """Every sub-IB below `affiliate`, at any depth (one indexed join on the tree paths)."""
        paths = AffiliateTreePath.objects.filter(ancestor=affiliate)
        if not include_self:
            paths = paths.filter(depth__gt=0)
        return self.filter(pk__in=paths.values("descendant"))


class Affiliate(TimeStampedModel):
    """The affiliate (IB) program profile of a client: status, place in the tree, plan and branding."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    customer = models.OneToOneField("customers.Customer", on_delete=models.PROTECT, related_name="affiliate")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", help_text=_("Master IB.")
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False, help_text=_("0 for a top-level IB."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    status_reason = models.CharField(max_length=255, blank=True, help_text=_("Why the affiliate is suspended."))
    commission_model = models.ForeignKey(
        "affiliates.CommissionModel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="affiliates",
        help_text=_("Empty: the default model (or the parent's sub-model for a sub-IB)."),
    )
    currency = models.ForeignKey(
        "wallets.Currency",
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Commissions are converted to this currency when they are calculated."),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_affiliates",
        help_text=_("The affiliate manager looking after this IB."),
    )
    show_contact_details = models.BooleanField(
        default=False, help_text=_("The affiliate sees its referrals' full email and phone.")
    )
    auto_payout = models.BooleanField(default=False, help_text=_("Paid out automatically every month."))
    rectangular_logo = models.FileField(upload_to=grey_label_path, max_length=255, blank=True)
    square_logo = models.FileField(upload_to=grey_label_path, max_length=255, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AffiliateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="affiliate_not_own_parent"),
            models.CheckConstraint(
                condition=~Q(status="suspended") | ~Q(status_reason=""), name="affiliate_suspension_has_reason"
            ),
        ]
        permissions = [
            ("view_all_affiliates", "Can view every affiliate"),
            ("approve_affiliate", "Can approve and suspend affiliates"),
            ("reassign_referral", "Can move a client to another introducer"),
            ("review_attribution", "Can review flagged sign-ups"),
            ("view_downline_stats", "Can see downline statistics"),
        ]

    def __str__(self) -> str:
        # Lists select the client with the affiliate (list_select_related), so the name costs no query there.
        return f"{self.customer.full_name or self.customer.email} (IB #{self.pk})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class AffiliateTreePath(models.Model):
    """Closure of the IB tree: `ancestor` is `depth` levels above `descendant` (0: itself).

    Kept by the services whenever an affiliate is created or moved, so commission runs and downline
    statistics reach every level with one join.
    """

    ancestor = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="descendant_paths")
    descendant = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="ancestor_paths")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["descendant", "ancestor"], name="one_tree_path")]
        indexes = [models.Index(fields=["ancestor", "depth"], name="tree_ancestor_idx")]

    def __str__(self) -> str:
        return f"{self.ancestor_id} > {self.descendant_id} ({self.depth})"


class AffiliateApiKey(TimeStampedModel):
    """An affiliate's key for the partner API (000 "Affiliate Keys"): stored hashed, shown once, revocable."""

    PREFIX_LENGTH = 8

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    key_prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("affiliate API key")

    def __str__(self) -> str:
        return f"{self.key_prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Campaign(TimeStampedModel):
    """A marketing campaign of an affiliate; links and sign-ups name it by `code`."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=100)
    code = models.SlugField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["affiliate", "code"], name="one_campaign_code_per_affiliate")]

    def __str__(self) -> str:
        return self.name


class ReferralLink(TimeStampedModel):
    """A tracking link of an affiliate: landing URL plus referral key, campaign, sub-id and UTM parameters."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="links")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="links")
    landing_page = models.ForeignKey(
        "affiliates.LandingPage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=100, blank=True)
    target_url = models.URLField(max_length=500, blank=True, help_text=_("Empty: the landing page's URL."))
    sub_id = models.CharField(max_length=255, blank=True)
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True)
    utm_term = models.CharField(max_length=255, blank=True)
    utm_content = models.CharField(max_length=255, blank=True)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name or f"link #{self.pk}"


class Bucket(TimeStampedModel):
    """A bucket of leads an affiliate owns (003 "Buckets Leads Status API"), with sources assigned to it."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="buckets")
    name = models.CharField(max_length=100)
    sources = models.ManyToManyField("affiliates.Source", blank=True, related_name="buckets")

    class Meta:
        ordering = ["name"]
        # The permission the Buckets Leads Status API (003) asks of an API token's role.
        permissions = [("view_own_buckets", "Buckets: View Own")]

    def __str__(self) -> str:
        return self.name


class Source(TimeStampedModel):
    """A traffic source of an affiliate; clients and leads carrying its `name` as source belong to it."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["affiliate", "name"], name="one_source_name_per_affiliate")]

    def __str__(self) -> str:
        return self.name


class Attribution(TimeStampedModel):
    """Who introduced a client or a lead, and by what: the first attribution wins unless staff reassign."""

    class Method(models.TextChoices):
        REFERRAL_KEY = "referral_key", _("Referral key")
        AFFILIATE_ID = "affiliate_id", _("Affiliate id")
        LINK = "link", _("Referral link")
        LEAD = "lead", _("From the lead")
        PARTNER_API = "partner_api", _("Partner API")
        STAFF = "staff", _("Set by staff")

    customer = models.OneToOneField(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="affiliate_attribution"
    )
    lead = models.OneToOneField(
        "sales.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="affiliate_attribution"
    )
    affiliate = models.ForeignKey(Affiliate, on_delete=models.PROTECT, related_name="attributions")
    method = models.CharField(max_length=20, choices=Method.choices)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    link = models.ForeignKey(ReferralLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=100, blank=True)
    sub_id = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    reassigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reassigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(lead__isnull=False), name="attribution_has_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} -> IB #{self.affiliate_id}"


class AttributionFlag(TimeStampedModel):
    """A sign-up held for review: self-referral (affiliate's own email, phone or device) or repeat IP."""

    class Reason(models.TextChoices):
        SELF_EMAIL = "self_email", _("Affiliate's own email")
        SELF_PHONE = "self_phone", _("Affiliate's own phone")
        SELF_DEVICE = "self_device", _("Affiliate's own device")
        REPEAT_IP = "repeat_ip", _("Repeat sign-ups from one IP")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLEARED = "cleared", _("Cleared")
        CONFIRMED = "confirmed", _("Fraud confirmed")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="attribution_flags")
    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["customer", "reason"], name="one_flag_per_reason")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.customer_id}"


class ReferralNote(TimeStampedModel):
    """An affiliate's note on one of its referrals (000 "AffiliateUpdateCustomer" notes)."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="notes")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="affiliate_notes")
    body = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"note #{self.pk}"
