"""Reads of the affiliate program: an affiliate's tree and referrals, its statistics, what it may promote.

Scoping rule of the affiliate portal and the partner API: an affiliate reaches the clients introduced by
itself or by any sub-IB below it (at any depth of its own tree), and the sub-IBs themselves; nothing else.
Every read here starts from `tree_of(affiliate)`, so another affiliate's client answers 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from crm.affiliates.models import (
    Affiliate,
    AffiliateTreePath,
    Banner,
    Bucket,
    CommissionLedger,
    LandingPage,
    PayoutRequest,
    PayoutWallet,
    ReferralAction,
    ReferralNote,
    Source,
    TargetGroup,
)
from crm.customers.models import Customer
from crm.sales.models import Lead
from crm.wallets.models import Transaction, Wallet

ZERO = Decimal("0")
TRADING_ACTIONS = [ReferralAction.Type.POSITION_CLOSED, ReferralAction.Type.SPOT_TRADE]
MONEY_FIELD = DecimalField(max_digits=28, decimal_places=8)
EARNING_STATUSES = (
    CommissionLedger.Status.PENDING,
    CommissionLedger.Status.APPROVED,
    CommissionLedger.Status.PAIDOUT,
)


def tree_of(affiliate: Affiliate) -> QuerySet[Affiliate]:
    """The affiliate and every sub-IB below it, at any depth."""
    return Affiliate.objects.downline_of(affiliate, include_self=True)


def referrals_of(affiliate: Affiliate) -> QuerySet[Customer]:
    """Clients introduced by the affiliate or by any sub-IB of its tree (one indexed sub-select)."""
    return Customer.objects.filter(introducer_id__in=tree_of(affiliate).values("customer_id"))


def _payable_sum(queryset: QuerySet[CommissionLedger]) -> Coalesce:
    amounts = (
        queryset.order_by()
        .values("introducer")
        .annotate(total=Sum(Coalesce("corrected_commission_amount", "commission_amount")))
    )
    return Coalesce(Subquery(amounts.values("total"), output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD)


def referral_list(affiliate: Affiliate) -> QuerySet[Customer]:
    """The affiliate's referrals with what a row shows, in one query: introducer, level, earnings, latest note."""
    depth = AffiliateTreePath.objects.filter(ancestor=affiliate, descendant__customer_id=OuterRef("introducer_id"))
    latest_note = ReferralNote.objects.filter(affiliate=affiliate, customer=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    earned = CommissionLedger.objects.filter(
        introducer=affiliate, referral=OuterRef("pk"), status__in=EARNING_STATUSES
    )
    return (
        referrals_of(affiliate)
        .select_related("introducer")
        .annotate(
            introducer_affiliate_id=F("introducer__affiliate__id"),
            level=Coalesce(Subquery(depth.values("depth")[:1], output_field=IntegerField()), Value(0)) + 1,
            commission_earned=_payable_sum(earned),
            latest_note=Subquery(latest_note.values("body")[:1]),
        )
    )


def referral_notes(affiliate: Affiliate, customer: Customer) -> QuerySet[ReferralNote]:
    """The affiliate's own notes on one of its referrals, newest first."""
    return ReferralNote.objects.filter(affiliate=affiliate, customer=customer).order_by("-created_at", "-pk")


def referral_sources(affiliate: Affiliate) -> list[str]:
    """The distinct, non-empty sources of the affiliate's referrals, sorted (000 "Get sources ...")."""
    return list(
        referrals_of(affiliate).exclude(source="").order_by("source").values_list("source", flat=True).distinct()
    )


def sub_affiliate_list(affiliate: Affiliate, *, start: dt.datetime, end: dt.datetime) -> QuerySet:
    """The sub-IBs below the affiliate with their downline statistics for [start, end), in one query per page.

    Per sub-IB: its distance below the affiliate, its direct referrals (all time), its sign-ups and first
    deposits in the period, and what the affiliate earned in the period on that sub-IB's clients.
    """
    own = Customer.objects.filter(introducer_id=OuterRef("customer_id"))
    earned = CommissionLedger.objects.filter(
        introducer=affiliate,
        referral__introducer_id=OuterRef("customer_id"),
        status__in=EARNING_STATUSES,
        action_timestamp__gte=start,
        action_timestamp__lt=end,
    )
    distance = AffiliateTreePath.objects.filter(ancestor=affiliate, descendant=OuterRef("pk")).values("depth")[:1]
    return (
        Affiliate.objects.downline_of(affiliate)
        .select_related("customer", "parent")
        .annotate(
            relative_depth=Subquery(distance, output_field=IntegerField()),
            referrals_count=_count(own, by="introducer"),
            signups=_count(own.filter(registered_at__gte=start, registered_at__lt=end), by="introducer"),
            ftds=_count(own.filter(first_deposit_at__gte=start, first_deposit_at__lt=end), by="introducer"),
            sub_affiliates_count=_count(Affiliate.objects.filter(parent_id=OuterRef("pk")), by="parent"),
            commission_earned=_payable_sum(earned),
        )
        .order_by("relative_depth", "pk")
    )


def _count(queryset: QuerySet, *, by: str) -> Coalesce:
    # A correlated COUNT per row, not a JOIN + GROUP BY: several counts joined would multiply each other.
    counted = queryset.order_by().values(by).annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime


def dashboard(affiliate: Affiliate, *, period: Period) -> dict:
    """The affiliate's figures for a period, its tree included, in a fixed number of aggregate queries.

    Sign-ups and first deposits of its referrals (own and downline), the net deposits and traded lots of
    its referrals per currency, its commissions of the period by status, and its balances.
    """
    referrals = referrals_of(affiliate)
    direct = Q(introducer_id=affiliate.customer_id)
    in_period = {"registered_at__gte": period.start, "registered_at__lt": period.end}
    ftd_period = {"first_deposit_at__gte": period.start, "first_deposit_at__lt": period.end}
    counts = referrals.aggregate(
        signups=Count("pk", filter=Q(**in_period)),
        signups_direct=Count("pk", filter=Q(**in_period) & direct),
        ftds=Count("pk", filter=Q(**ftd_period)),
        ftds_direct=Count("pk", filter=Q(**ftd_period) & direct),
        referrals_total=Count("pk"),
    )
    actions = ReferralAction.objects.filter(
        customer__in=referrals.values("pk"), occurred_at__gte=period.start, occurred_at__lt=period.end
    )
    money = {}
    for row in (
        actions.exclude(currency="")
        .values("currency")
        .annotate(
            deposits=Coalesce(Sum("amount", filter=Q(action_type=ReferralAction.Type.DEPOSIT)), Value(ZERO)),
            withdrawals=Coalesce(Sum("amount", filter=Q(action_type=ReferralAction.Type.WITHDRAWAL)), Value(ZERO)),
            lots=Coalesce(Sum("lots", filter=Q(action_type__in=TRADING_ACTIONS)), Value(ZERO)),
        )
        .order_by("currency")
    ):
        money[row["currency"]] = {
            "deposits": row["deposits"],
            "withdrawals": row["withdrawals"],
            "net_deposits": row["deposits"] - row["withdrawals"],
            "lots": row["lots"],
        }
    return {
        "start": period.start,
        "end": period.end,
        "currency": affiliate.currency_id,
        **counts,
        "sub_affiliates": Affiliate.objects.downline_of(affiliate).count(),
        "money": money,
        "commissions": commission_totals(affiliate, period=period),
        **balances(affiliate),
    }


def commission_totals(affiliate: Affiliate, *, period: Period | None = None) -> dict[str, Decimal]:
    """The affiliate's commissions by status (corrections applied), optionally for actions in a period."""
    records = CommissionLedger.objects.filter(introducer=affiliate)
    if period is not None:
        records = records.filter(action_timestamp__gte=period.start, action_timestamp__lt=period.end)
    amount = Coalesce("corrected_commission_amount", "commission_amount")
    totals = records.aggregate(
        **{
            status.lower(): Coalesce(Sum(amount, filter=Q(status=status)), Value(ZERO), output_field=MONEY_FIELD)
            for status in CommissionLedger.Status.values
        }
    )
    return {"pending": totals["pending"], "approved": totals["approved"], "paid": totals["paidout"]}


def balances(affiliate: Affiliate) -> dict[str, Decimal]:
    """Earnings all time (pending, approved and paid), the approved balance not yet requested, and pending payouts."""
    amount = Coalesce("corrected_commission_amount", "commission_amount")
    ledger = CommissionLedger.objects.filter(introducer=affiliate).aggregate(
        earnings=Coalesce(Sum(amount, filter=Q(status__in=EARNING_STATUSES)), Value(ZERO), output_field=MONEY_FIELD),
        balance=Coalesce(
            Sum(amount, filter=Q(status=CommissionLedger.Status.APPROVED, payout_request__isnull=True)),
            Value(ZERO),
            output_field=MONEY_FIELD,
        ),
    )
    pending = PayoutRequest.objects.filter(introducer=affiliate, status=PayoutRequest.Status.PENDING).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY_FIELD)
    )
    return {"earnings": ledger["earnings"], "balance": ledger["balance"], "pending_payouts": pending["total"]}


def ledger_of(affiliate: Affiliate) -> QuerySet[CommissionLedger]:
    """The affiliate's own commission records with what a row shows."""
    return CommissionLedger.objects.filter(introducer=affiliate).select_related("referral", "currency")


def payout_requests_of(affiliate: Affiliate) -> QuerySet[PayoutRequest]:
    return PayoutRequest.objects.filter(introducer=affiliate).select_related("payout_wallet__wallet", "transaction")


def payout_wallets_of(affiliate: Affiliate) -> QuerySet[PayoutWallet]:
    return PayoutWallet.objects.filter(affiliate=affiliate).select_related("wallet__currency")


def wallets_of(affiliate: Affiliate) -> QuerySet[Wallet]:
    """The affiliate's payout wallets (its own client wallets its commissions are paid into)."""
    return Wallet.objects.filter(pk__in=PayoutWallet.objects.filter(affiliate=affiliate).values("wallet_id")).order_by(
        "pk"
    )


def wallet_transactions(affiliate: Affiliate) -> QuerySet[Transaction]:
    """Every transaction on the affiliate's payout wallets (commission payouts, withdrawals ...), newest first."""
    wallet_ids = PayoutWallet.objects.filter(affiliate=affiliate).values("wallet_id")
    return Transaction.objects.filter(Q(wallet_id__in=wallet_ids) | Q(counter_wallet_id__in=wallet_ids)).order_by(
        "-created_at", "-pk"
    )


def target_groups_of(affiliate: Affiliate) -> QuerySet[TargetGroup]:
    return TargetGroup.objects.filter(affiliates=affiliate).order_by("name")


def _offered(queryset: QuerySet, affiliate: Affiliate) -> QuerySet:
    """Active items with no target group (offered to all) or one of the affiliate's groups."""
    groups = TargetGroup.objects.filter(affiliates=affiliate)
    through = queryset.model.target_groups.through
    field = f"{queryset.model._meta.model_name}_id"
    any_group = through.objects.filter(**{field: OuterRef("pk")})
    mine = any_group.filter(targetgroup_id__in=groups.values("pk"))
    return queryset.filter(is_active=True).filter(~Exists(any_group) | Exists(mine)).order_by("name", "pk")


def banners_for(affiliate: Affiliate) -> QuerySet[Banner]:
    return _offered(Banner.objects.all(), affiliate)


def landing_pages_for(affiliate: Affiliate) -> QuerySet[LandingPage]:
    return _offered(LandingPage.objects.all(), affiliate)


def grey_labeling_enabled(affiliate: Affiliate) -> bool:
    """Whether the affiliate's plan (or the default plan) has grey labelling on."""
    from crm.affiliates.models import CommissionModel

    if affiliate.commission_model_id:
        plan = CommissionModel.objects.filter(pk=affiliate.commission_model_id).first()
    else:
        plan = CommissionModel.objects.filter(is_default=True, is_enabled=True).first()
    return bool(plan and plan.grey_labeling_enabled)


def bucket_leads(
    bucket: Bucket,
    *,
    source: Source | None = None,
    emails: list[str] | None = None,
    client_ids: list[int] | None = None,
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
) -> QuerySet:
    """The people a bucket holds (003 "Buckets Leads Status API"), oldest first, in one query.

    A bucket holds, from its affiliate, whose source is one of the bucket's sources (any source when the bucket
    has none; `source` narrows to one):
    - the leads the affiliate sent, with their client once converted;
    - the clients the affiliate introduced that have no such lead: partner sign-ups (Traders Room Sign Up API,
      the affiliate API) and referral-link sign-ups, by their sign-up source.
    Emails and client ids, when given, pick rows matching either; the created range includes both ends.
    Rows: `client_id` (None for a lead that is no client), `email_address`, `sales_status_name`, `account_status`,
    `created`, `ftd`.
    """
    sent_by = bucket.affiliate.customer_id
    names = [source.name] if source is not None else list(bucket.sources.values_list("name", flat=True))
    leads = Lead.objects.active().filter(affiliate_id=sent_by)
    has_lead = Lead.objects.active().filter(affiliate_id=sent_by, customer_id=OuterRef("pk"))
    clients = Customer.objects.filter(introducer_id=sent_by).exclude(Exists(has_lead))
    if names:
        leads, clients = leads.filter(source__in=names), clients.filter(source__in=names)
    lowered = [email.strip().lower() for email in emails or []]
    if emails or client_ids:
        leads = leads.filter(Q(email__in=lowered) | Q(customer_id__in=client_ids or []))
        clients = clients.filter(Q(email__in=lowered) | Q(pk__in=client_ids or []))
    if created_from is not None:
        leads, clients = leads.filter(created_at__gte=created_from), clients.filter(registered_at__gte=created_from)
    if created_to is not None:
        leads, clients = leads.filter(created_at__lte=created_to), clients.filter(registered_at__lte=created_to)
    lead_rows = leads.values(
        kind=Value(0),
        row_id=F("pk"),
        client_id=F("customer_id"),
        email_address=F("email"),
        sales_status_name=Coalesce(F("customer__sales_status__name"), F("sales_status__name")),
        account_status=F("customer__status"),
        created=F("created_at"),
        ftd=F("customer__first_deposit_at"),
    )
    client_rows = clients.values(
        kind=Value(1),
        row_id=F("pk"),
        client_id=F("pk"),
        email_address=F("email"),
        sales_status_name=F("sales_status__name"),
        account_status=F("status"),
        created=F("registered_at"),
        ftd=F("first_deposit_at"),
    )
    return lead_rows.union(client_rows, all=True).order_by("created", "kind", "row_id")
