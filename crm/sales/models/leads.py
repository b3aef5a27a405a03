"""Leads, their comments and communications, and the rules that route new leads to desks and agents."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from crm.core.models import TimeStampedModel

SIGNUP_CODE_LENGTH = 16


def new_signup_code() -> str:
    """A random code a lead gives at sign-up to be matched to their lead (64 random bits: no clash in practice)."""
    return secrets.token_hex(SIGNUP_CODE_LENGTH // 2).upper()


def new_signup_codes(count: int) -> list[str]:
    """`count` codes as `new_signup_code` makes them, from one draw of random bytes (an import's batch)."""
    drawn = secrets.token_hex(count * SIGNUP_CODE_LENGTH // 2).upper()
    return [drawn[start : start + SIGNUP_CODE_LENGTH] for start in range(0, len(drawn), SIGNUP_CODE_LENGTH)]


class LeadQuerySet(models.QuerySet["Lead"]):
    def visible_to(self, user) -> LeadQuerySet:
        """Leads this staff user may see: all with `sales.view_all_leads`; otherwise their own leads, every lead
        of the desks they manage, and the unassigned leads of the desks they belong to (the pool they claim from).

        The user's desks are read first (one small query), so the lead filter stays a few indexed conditions
        instead of a join.
        """
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return self.none()
        if user.has_perm("sales.view_all_leads"):
            return self
        from crm.users.models import Desk

        managed: set[int] = set()
        member_of: set[int] = set()
        for pk, manager_id in Desk.objects.filter(Q(manager=user) | Q(members=user)).values_list("pk", "manager_id"):
            (managed if manager_id == user.pk else member_of).add(pk)
        condition = Q(sales_person=user)
        if managed:
            condition |= Q(desk_id__in=sorted(managed))
        if member_of - managed:
            condition |= Q(desk_id__in=sorted(member_of - managed), sales_person__isnull=True)
        return self.filter(condition)

    def active(self) -> LeadQuerySet:
        """Leads not merged into another lead."""
        return self.filter(merged_into__isnull=True)

    def for_list(self) -> LeadQuerySet:
        """Everything a list row shows, in one query."""
        return self.select_related("sales_status", "sales_person", "desk")

    def search(self, term: str) -> LeadQuerySet:
        """Index-friendly search: an id, an email prefix, a phone prefix, a last-name prefix or "first last"."""
        term = " ".join((term or "").split())
        if not term:
            return self
        digits = term.lstrip("#+").replace(" ", "")
        if term.startswith("+") and digits.isdigit():
            return self.filter(phone__startswith=f"+{digits}")
        if digits.isdigit():
            condition = Q(phone__startswith=f"+{digits}") if len(digits) >= 5 else Q()
            if int(digits) < 2**63:
                condition |= Q(pk=int(digits))
            return self.filter(condition)
        if "@" in term:
            return self.filter(email__startswith=term.lower())
        condition = Q(email__startswith=term.lower()) | Q(last_name__istartswith=term)
        first, _, rest = term.partition(" ")
        if rest:
            condition |= Q(first_name__istartswith=first, last_name__istartswith=rest)
        return self.filter(condition)

    def due_follow_ups(self, *, until) -> LeadQuerySet:
        """Leads whose follow-up date has come by `until`, oldest first."""
        return self.filter(follow_up_at__isnull=False, follow_up_at__lte=until).order_by("follow_up_at", "pk")


class Lead(TimeStampedModel):
    """A prospect who has not become a client yet (000 "Leads"), worked by a sales person on a desk."""

    # No index of its own: lead_created_idx (created_at DESC, id DESC) serves every created_at order and range.
    created_at = models.DateTimeField(auto_now_add=True)

    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True, help_text=_("Stored lower-case."))
    phone = models.CharField(max_length=20, blank=True, help_text=_("E.164, e.g. +447911123456"))
    country = CountryField(blank=True)
    language = models.CharField(max_length=10, blank=True)
    can_be_called = models.BooleanField(default=True)

    # Where the lead came from
    source = models.CharField(max_length=100, blank=True)
    campaign = models.CharField(max_length=255, blank=True)
    affiliate = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.SET_NULL,
        related_name="referred_leads",
        help_text=_("The introducer (a client) who sent the lead."),
    )
    external_id = models.CharField(
        _("external ID"), max_length=100, blank=True, help_text=_("The affiliate's own id of the lead.")
    )
    sub_id = models.CharField(_("sub ID"), max_length=255, blank=True)
    utm_source = models.CharField(_("UTM source"), max_length=255, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=255, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=255, blank=True)
    utm_term = models.CharField(_("UTM term"), max_length=255, blank=True)
    utm_content = models.CharField(_("UTM content"), max_length=255, blank=True)

    # Who works it
    sales_status = models.ForeignKey(
        "customers.SalesStatus", null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+"
    )
    sales_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    desk = models.ForeignKey(
        "users.Desk", null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="leads"
    )
    last_contact_at = models.DateTimeField(null=True, blank=True)
    follow_up_at = models.DateTimeField(null=True, blank=True)
    follow_up_note = models.CharField(max_length=255, blank=True)

    # Duplicates, merges and conversion
    duplicate_score = models.PositiveSmallIntegerField(
        default=0, help_text=_("0: no match; higher: stronger match with an earlier lead or a client.")
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="duplicates"
    )
    duplicate_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="merged"
    )
    # Unique through Meta.constraints (lead_signup_code_unique): a unique=True CharField would also get a
    # varchar_pattern_ops twin on PostgreSQL that no query uses (the code is only ever looked up whole).
    signup_code = models.CharField(max_length=SIGNUP_CODE_LENGTH, default=new_signup_code)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="leads"
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    # The file the lead came from; its history starts with that import (see LeadImport's activity).
    lead_import = models.ForeignKey(
        "sales.LeadImport", null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="leads"
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # Every index names the queries it serves; tests/sales/test_indexes.py shows each in EXPLAIN on
        # PostgreSQL. Each one costs every insert (an import writes all of them), so none stays unused.
        indexes = [
            # Admin changelist and API list, unfiltered (assigned=all), newest first; created_after/before.
            models.Index(fields=["-created_at", "-id"], name="lead_created_idx"),
            # "My leads" (the changelist's default for an agent, only_assigned_to_me) and the sales person filter.
            models.Index(fields=["sales_person", "-created_at", "-id"], name="lead_person_created_idx"),
            # Changelist and API filter by sales status, newest first.
            models.Index(fields=["sales_status", "-created_at", "-id"], name="lead_status_created_idx"),
            # Desk filter, and a team leader's scope (the leads of their desks), newest first.
            models.Index(fields=["desk", "-created_at", "-id"], name="lead_desk_created_idx"),
            # Country filter (admin dropdown, API country=), newest first.
            models.Index(fields=["country", "-created_at"], name="lead_country_created_idx"),
            # Source filter (admin SourceFilter, API source=), newest first.
            models.Index(fields=["source", "-created_at"], name="lead_source_created_idx"),
            # API modified_after/modified_before (partners' incremental sync) and the updated_at range filter.
            models.Index(fields=["updated_at"], name="lead_updated_idx"),
            # An agent's follow-ups: the FollowUpFilter (due now, due today) and API follow_up_before.
            models.Index(fields=["sales_person", "follow_up_at"], name="lead_follow_up_idx"),
            # Pattern ops on PostgreSQL: the same index serves equality (duplicates) and prefix search.
            # Search by email prefix (admin, API search=) and the import's duplicate lookup by email.
            models.Index(fields=["email"], name="lead_email_idx", opclasses=["varchar_pattern_ops"]),
            # Search by phone prefix (+44...) and the duplicate lookup by phone.
            models.Index(fields=["phone"], name="lead_phone_idx", opclasses=["varchar_pattern_ops"]),
            # The duplicate lookup by the affiliate's own lead id (imports, the affiliate and Buckets APIs).
            models.Index(fields=["external_id"], name="lead_external_id_idx", condition=~Q(external_id="")),
            # DuplicateFilter (admin) and API is_duplicate=true.
            models.Index(fields=["duplicate_score"], name="lead_duplicate_idx", condition=Q(duplicate_score__gt=0)),
            # Foreign keys that are mostly empty get partial indexes: they cost nothing on insert. Each serves
            # the lookup of its target's leads and the SET NULL / PROTECT check when that target is deleted:
            # API customer_id= and converted=, a client's leads on conversion;
            models.Index(fields=["customer"], name="lead_customer_idx", condition=Q(customer__isnull=False)),
            # an introducer's leads (affiliate portal, Buckets API sign-ups);
            models.Index(fields=["affiliate"], name="lead_affiliate_idx", condition=Q(affiliate__isnull=False)),
            # the leads marked duplicates of a lead (its page, merge);
            models.Index(fields=["duplicate_of"], name="lead_dup_of_idx", condition=Q(duplicate_of__isnull=False)),
            # the leads marked duplicates of a client (a client's deletion);
            models.Index(
                fields=["duplicate_customer"],
                name="lead_dup_customer_idx",
                condition=Q(duplicate_customer__isnull=False),
            ),
            # the leads merged into a lead (its page, merge history, PROTECT on delete).
            models.Index(fields=["merged_into"], name="lead_merged_idx", condition=Q(merged_into__isnull=False)),
            # Also, made by migration 0002 (an expression with pattern ops): lead_last_name_upper_pattern_idx,
            # search by last-name prefix (admin, API search=).
        ]
        constraints = [
            # Sign-up with a lead's code (conversion, the public code check): an equality lookup.
            models.UniqueConstraint(fields=["signup_code"], name="lead_signup_code_unique"),
        ]
        permissions = [
            ("view_all_leads", "Can view all leads"),
            ("claim_lead", "Can claim unassigned leads"),
            ("assign_lead", "Can assign leads to sales people"),
            ("bulk_edit_leads", "Can edit many leads at once"),
            ("send_lead_email", "Can email leads"),
            ("merge_leads", "Can merge duplicate leads"),
            ("import_leads", "Can import leads from files"),
            ("export_lead", "Can export leads"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"Lead #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_score > 0


class LeadCommentQuerySet(models.QuerySet):
    def visible_to(self, user) -> LeadCommentQuerySet:
        return self.filter(lead__in=Lead.objects.visible_to(user))


class LeadComment(models.Model):
    """A note staff wrote on a lead."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LeadCommentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="lead_comment_lead_idx")]

    def __str__(self) -> str:
        return self.body[:50]


class LeadCommunication(models.Model):
    """One contact with a lead: an email sent, a call made; the lead's communications timeline."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        CALL = "call", _("Call")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="communications")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recipient = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "-created_at"], name="lead_comm_lead_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.subject}".strip()


class AssignmentRule(TimeStampedModel):
    """Routes new leads: the first active rule (by priority) whose countries, languages and sources all match.

    An empty list matches anything. The lead goes to the rule's agent when one is named, otherwise to
    the next available member of the rule's desk, round-robin.
    """

    name = models.CharField(max_length=100)
    priority = models.PositiveSmallIntegerField(default=100, help_text=_("Lower numbers are tried first."))
    is_active = models.BooleanField(default=True)
    countries = models.JSONField(default=list, blank=True, help_text=_("ISO 3166-1 alpha-2 codes; empty: any."))
    languages = models.JSONField(default=list, blank=True, help_text=_("Language codes; empty: any."))
    sources = models.JSONField(default=list, blank=True, help_text=_("Lead sources, exact; empty: any."))
    desk = models.ForeignKey("users.Desk", on_delete=models.CASCADE, related_name="assignment_rules")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Always this agent; empty: round-robin inside the desk."),
    )

    class Meta:
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return self.name

    def matches(self, *, country: str, language: str, source: str) -> bool:
        return (
            (not self.countries or (country or "").upper() in self.countries)
            and (not self.languages or (language or "").lower() in self.languages)
            and (not self.sources or (source or "") in self.sources)
        )
