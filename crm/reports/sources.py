"""The reports: what each counts (in its own words), its columns, its sort keys and its rows as one SQL query.

Every report is scoped like the dashboard (`crm.reports.scope`): an agent's own book, a desk manager's desks,
or everything. Rows come from `values_list(...).iterator()`, so a file of a million rows is built in constant
memory; the API pages the same query with `limit`/`offset`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
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
from django.utils.translation import gettext_noop

from crm.affiliates.models import Affiliate, CommissionLedger, PayoutRequest
from crm.customers.models import Customer
from crm.reports.models import ReportKind
from crm.reports.periods import Period
from crm.reports.scope import Scope
from crm.trading.models import Deal
from crm.wallets.models import Posting, Transaction
from crm.wallets.models.ledger import Bucket

ZERO = Decimal("0")
MONEY_FIELD = DecimalField(max_digits=28, decimal_places=8)
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ReportSource:
    """One report: `columns` are (key, header) pairs of `queryset(...)`'s values, in order."""

    kind: str
    title: str
    description: str
    columns: list[tuple[str, str]]
    sort_keys: dict[str, str]
    default_sort: str
    build: Callable[[Scope, Period, dict[str, Any]], QuerySet[Any]]
    # The permission that lets staff see this report (on top of `reports.view_reportrun`).
    permission: str
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return [header for _key, header in self.columns]

    @property
    def keys(self) -> list[str]:
        return [key for key, _header in self.columns]

    def queryset(self, scope: Scope, period: Period, params: dict[str, Any]) -> QuerySet[Any]:
        """The rows as dicts, sorted by `params["sortBy"]` (a key, `-` for descending), ties by the first column."""
        sort = params.get("sortBy") or self.default_sort
        descending = sort.startswith("-")
        column = self.sort_keys[sort.lstrip("-")]
        order = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
        return self.build(scope, period, params).order_by(order, self.keys[0])

    def rows(self, queryset: QuerySet[Any]) -> Iterator[list[Any]]:
        keys = self.keys
        for row in queryset.values_list(*keys).iterator(chunk_size=CHUNK_SIZE):
            yield list(row)


def _count(queryset: QuerySet[Any]) -> Coalesce:
    counted = queryset.order_by().annotate(group=Value(1)).values("group").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# Balance -------------------------------------------------------------------------------


def balance_rows(scope: Scope, period: Period, params: dict[str, Any]) -> QuerySet[Any]:
    """Per client wallet (demo excluded): balance before the period, money in, money out, balance after it."""
    in_period = Q(created_at__gte=period.start)
    postings = Posting.objects.filter(
        scope.clients("wallet__customer__"),
        bucket=Bucket.BALANCE,
        created_at__lt=period.end,
        wallet__customer__isnull=False,
        wallet__is_demo=False,
    )
    return (
        postings.values(
            "wallet_id",
            "wallet__number",
            "wallet__type",
            "currency_id",
            "wallet__customer_id",
            "wallet__customer__first_name",
            "wallet__customer__last_name",
        )
        .annotate(
            opening=Coalesce(Sum("amount", filter=~in_period), Value(ZERO), output_field=MONEY_FIELD),
            money_in=Coalesce(
                Sum("amount", filter=in_period & Q(amount__gt=0)), Value(ZERO), output_field=MONEY_FIELD
            ),
            money_out=Coalesce(
                Sum("amount", filter=in_period & Q(amount__lt=0)), Value(ZERO), output_field=MONEY_FIELD
            ),
        )
        .annotate(closing=F("opening") + F("money_in") + F("money_out"))
    )


BALANCE = ReportSource(
    kind=ReportKind.BALANCE,
    title=gettext_noop("Balance report"),
    description=gettext_noop(
        "One row per client wallet (demo accounts excluded) that has ledger postings before the end of the period: "
        "the balance at the start of the period, the money that came in and went out during it (postings of the "
        "balance bucket, so deposits, withdrawals, transfers, bonuses, fees and corrections alike; credit and money "
        "on hold are not counted), and the balance at the end. Amounts in the wallet's currency."
    ),
    columns=[
        ("wallet_id", gettext_noop("Wallet id")),
        ("wallet__number", gettext_noop("Wallet")),
        ("wallet__type", gettext_noop("Wallet type")),
        ("currency_id", gettext_noop("Currency")),
        ("wallet__customer_id", gettext_noop("Client id")),
        ("wallet__customer__first_name", gettext_noop("First name")),
        ("wallet__customer__last_name", gettext_noop("Last name")),
        ("opening", gettext_noop("Opening balance")),
        ("money_in", gettext_noop("Money in")),
        ("money_out", gettext_noop("Money out")),
        ("closing", gettext_noop("Closing balance")),
    ],
    sort_keys={
        "wallet": "wallet_id",
        "client": "wallet__customer_id",
        "currency": "currency_id",
        "opening": "opening",
        "moneyIn": "money_in",
        "moneyOut": "money_out",
        "closing": "closing",
    },
    default_sort="-closing",
    build=balance_rows,
    permission="wallets.view_wallet",
)


# Affiliation ---------------------------------------------------------------------------


def affiliation_rows(scope: Scope, period: Period, params: dict[str, Any]) -> QuerySet[Any]:
    """Per affiliate: referrals registered and first deposits in the period, commissions of the period, payouts."""
    referrals = Customer.objects.filter(introducer_id=OuterRef("customer_id"))
    ledger = CommissionLedger.objects.filter(
        introducer_id=OuterRef("pk"), action_timestamp__gte=period.start, action_timestamp__lt=period.end
    )
    amount = Coalesce("corrected_commission_amount", "commission_amount")

    def commissions(status: str) -> Coalesce:
        total = (
            ledger.filter(status=status)
            .order_by()
            .annotate(group=Value(1))
            .values("group")
            .annotate(total=Sum(amount, output_field=MONEY_FIELD))
            .values("total")
        )
        return Coalesce(Subquery(total, output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD)

    payouts = (
        PayoutRequest.objects.filter(introducer_id=OuterRef("pk"), status=PayoutRequest.Status.PENDING)
        .order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    affiliates = Affiliate.objects.all()
    if not scope.is_everything:
        affiliates = affiliates.filter(customer__in=Customer.objects.filter(scope.clients()).values("pk"))
    return affiliates.values(
        "pk", "customer_id", "customer__first_name", "customer__last_name", "status", "currency_id"
    ).annotate(
        signups=_count(referrals.filter(registered_at__gte=period.start, registered_at__lt=period.end)),
        ftds=_count(referrals.filter(first_deposit_at__gte=period.start, first_deposit_at__lt=period.end)),
        pending=commissions(CommissionLedger.Status.PENDING),
        approved=commissions(CommissionLedger.Status.APPROVED),
        paid=commissions(CommissionLedger.Status.PAIDOUT),
        pending_payouts=Coalesce(Subquery(payouts, output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD),
    )


AFFILIATION = ReportSource(
    kind=ReportKind.AFFILIATION,
    title=gettext_noop("Affiliation report"),
    description=gettext_noop(
        "One row per affiliate (IB): its direct referrals who registered in the period and who made their first "
        "deposit in the period, its commissions on actions of the period by status (pending, approved, paid out; "
        "staff corrections applied; rejected ones left out) in the affiliate's currency, and its payout requests "
        "waiting now."
    ),
    columns=[
        ("pk", gettext_noop("Affiliate id")),
        ("customer_id", gettext_noop("Client id")),
        ("customer__first_name", gettext_noop("First name")),
        ("customer__last_name", gettext_noop("Last name")),
        ("status", gettext_noop("Status")),
        ("currency_id", gettext_noop("Currency")),
        ("signups", gettext_noop("Referrals registered")),
        ("ftds", gettext_noop("Referrals' first deposits")),
        ("pending", gettext_noop("Commissions pending")),
        ("approved", gettext_noop("Commissions approved")),
        ("paid", gettext_noop("Commissions paid out")),
        ("pending_payouts", gettext_noop("Payout requests waiting")),
    ],
    sort_keys={
        "affiliate": "pk",
        "signups": "signups",
        "ftds": "ftds",
        "pending": "pending",
        "approved": "approved",
        "paid": "paid",
        "pendingPayouts": "pending_payouts",
    },
    default_sort="-signups",
    build=affiliation_rows,
    permission="affiliates.view_affiliate",
)


# Transactions --------------------------------------------------------------------------


def transaction_rows(scope: Scope, period: Period, params: dict[str, Any]) -> QuerySet[Any]:
    """Client money movements requested in the period, optionally of some types and statuses."""
    movements = Transaction.objects.filter(
        scope.clients("customer__"), created_at__gte=period.start, created_at__lt=period.end
    )
    if params.get("type"):
        movements = movements.filter(type__in=params["type"])
    if params.get("status"):
        movements = movements.filter(status__in=params["status"])
    rows: QuerySet[Any] = movements.values(*TRANSACTIONS_COLUMNS)
    return rows


TRANSACTIONS_COLUMNS = [
    "pk",
    "created_at",
    "type",
    "status",
    "customer_id",
    "customer__first_name",
    "customer__last_name",
    "wallet__number",
    "currency_id",
    "amount",
    "fee",
    "method",
    "provider",
    "provider_reference",
    "comment",
]
TRANSACTIONS = ReportSource(
    kind=ReportKind.TRANSACTIONS,
    title=gettext_noop("Transactions report"),
    description=gettext_noop(
        "Every money movement of a client (deposits, withdrawals, transfers, bonuses, corrections, fees, payouts) "
        "requested in the period, in any status unless `type`/`status` narrow it; amounts in the movement's "
        "currency, fees apart."
    ),
    columns=list(
        zip(
            TRANSACTIONS_COLUMNS,
            [
                gettext_noop("Id"),
                gettext_noop("Created"),
                gettext_noop("Type"),
                gettext_noop("Status"),
                gettext_noop("Client id"),
                gettext_noop("First name"),
                gettext_noop("Last name"),
                gettext_noop("Wallet"),
                gettext_noop("Currency"),
                gettext_noop("Amount"),
                gettext_noop("Fee"),
                gettext_noop("Method"),
                gettext_noop("Provider"),
                gettext_noop("Provider reference"),
                "Comment",
            ],
            strict=True,
        )
    ),
    sort_keys={"created": "created_at", "amount": "amount", "id": "pk"},
    default_sort="-created",
    build=transaction_rows,
    permission="wallets.view_transaction",
    filters={"type": list(Transaction.Type.values), "status": list(Transaction.Status.values)},
)


# Profit and loss -----------------------------------------------------------------------


def profit_loss_rows(scope: Scope, period: Period, params: dict[str, Any]) -> QuerySet[Any]:
    """Per live trading account: the executions of the period, their volume, realised profit and commissions."""
    deals = Deal.objects.filter(
        scope.clients("account__customer__"),
        created_at__gte=period.start,
        created_at__lt=period.end,
        account__is_demo=False,
        account__customer__isnull=False,
    )
    money = {"output_field": MONEY_FIELD}
    return (
        deals.values(
            "account_id",
            "account__number",
            "account__currency_id",
            "account__customer_id",
            "account__customer__first_name",
            "account__customer__last_name",
        )
        .annotate(
            trades=Count("pk"),
            closing_trades=Count("pk", filter=Q(entry=Deal.Entry.OUT)),
            volume=Coalesce(Sum("lots"), Value(ZERO), **money),
            realised=Coalesce(Sum("profit"), Value(ZERO), **money),
            commissions=Coalesce(Sum("commission"), Value(ZERO), **money),
            compensations=Coalesce(Sum("compensation"), Value(ZERO), **money),
        )
        .annotate(net=F("realised") - F("commissions"))
    )


PROFIT_LOSS = ReportSource(
    kind=ReportKind.PROFIT_LOSS,
    title=gettext_noop("Profit and loss report"),
    description=gettext_noop(
        "One row per live trading account (demo accounts excluded) with executions in the period: executions "
        "(opening and closing deals), closing deals, volume in lots of all executions, the client's realised profit "
        "on the positions closed in the period (negative: a loss, which is the broker's gain on the B-book), "
        "commissions charged, the loss the broker bore under negative balance protection, and the client's net "
        "result (profit less commissions). Amounts in the account's currency; open positions are not counted."
    ),
    columns=[
        ("account_id", gettext_noop("Account id")),
        ("account__number", gettext_noop("Account")),
        ("account__currency_id", gettext_noop("Currency")),
        ("account__customer_id", gettext_noop("Client id")),
        ("account__customer__first_name", gettext_noop("First name")),
        ("account__customer__last_name", gettext_noop("Last name")),
        ("trades", gettext_noop("Executions")),
        ("closing_trades", gettext_noop("Closing deals")),
        ("volume", gettext_noop("Volume (lots)")),
        ("realised", gettext_noop("Realised profit")),
        ("commissions", gettext_noop("Commissions")),
        ("compensations", gettext_noop("Negative balance compensation")),
        ("net", gettext_noop("Client net result")),
    ],
    sort_keys={
        "account": "account_id",
        "client": "account__customer_id",
        "currency": "account__currency_id",
        "trades": "trades",
        "volume": "volume",
        "profit": "realised",
        "commission": "commissions",
        "net": "net",
    },
    default_sort="-volume",
    build=profit_loss_rows,
    permission="trading.view_deal",
)

SOURCES: dict[str, ReportSource] = {
    source.kind: source for source in (BALANCE, AFFILIATION, TRANSACTIONS, PROFIT_LOSS)
}


def sources_for(user: Any) -> list[ReportSource]:
    """The reports this staff member may see."""
    return [source for source in SOURCES.values() if user.has_perm(source.permission)]
