"""The whole demo (`seed_demo` with the other apps' parts): safe twice, figures that agree with their rows, and
something to work for every demo role, logged in as `seed_demo` prints."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum
from django.utils import timezone

from crm.affiliates.models import Affiliate, Attribution, CommissionLedger, CommissionModel, ReferralLink
from crm.core.models import OutboxEvent
from crm.customers.models import Customer, Document, OnboardingStepConfiguration
from crm.reports.periods import Period
from crm.reports.scope import scope_for
from crm.reports.selectors import build_dashboard
from crm.sales.models import Lead
from crm.trading.models import Position
from crm.users.models import Desk, User
from crm.wallets.models import JournalEntry, Posting, Transaction, Wallet

pytestmark = pytest.mark.django_db

PASSWORD = "demo-backoffice-2024"
DEPOSIT, WITHDRAWAL = Transaction.Type.DEPOSIT, Transaction.Type.WITHDRAWAL
COMPLETED, PENDING = Transaction.Status.COMPLETED, Transaction.Status.PENDING


def seed_full(clients: int = 60) -> str:
    out = StringIO()
    call_command("seed_demo", clients=clients, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [
        Customer,
        Desk,
        Lead,
        Wallet,
        Transaction,
        JournalEntry,
        Posting,
        CommissionModel,
        Affiliate,
        ReferralLink,
        Attribution,
        CommissionLedger,
        Position,
        OnboardingStepConfiguration,
    ]
    return {model.__name__: model.objects.count() for model in models}


def per_currency(queryset) -> dict[str, Decimal]:
    return dict(queryset.values("currency_id").annotate(total=Sum("amount")).values_list("currency_id", "total"))


def test_the_demo_twice_adds_nothing_and_its_dashboard_agrees_with_the_rows():
    seed_full()
    first = counts()

    seed_full()

    assert counts() == first
    assert all(first.values()), first
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    call_command("verify_ledger", stdout=StringIO())  # raises on a breach
    stages = dict(OnboardingStepConfiguration.objects.filter(stage__isnull=False).values_list("step", "stage"))
    assert stages == {"EmailConfirmation": "BeforeDeposit", "KYC": "BeforeWithdrawal"}
    # The rules held for the demo's money too: no deposit of an unconfirmed email, no withdrawal before KYC.
    assert not Transaction.objects.filter(type=DEPOSIT, customer__confirmed_at__isnull=True).exists()
    assert not Transaction.objects.filter(type=WITHDRAWAL).exclude(customer__kyc_status="approved").exists()
    admin = User.objects.get(email="admin@demo.local")
    period = Period.last_days(30)
    now = timezone.now()
    dashboard = build_dashboard(admin, scope=scope_for(admin), period=period, now=now)
    figures = {figure.key: figure.current for figure in dashboard.figures}
    in_period = Q(created_at__gte=period.start, created_at__lt=period.end)
    deposits = Transaction.objects.filter(in_period, type=DEPOSIT, status=COMPLETED)
    # Deposits per currency, FTDs, pending withdrawals: the sums of the rows behind them.
    assert {row.currency: row.deposits for row in dashboard.money} == per_currency(deposits)
    assert deposits.exists()
    ftds = deposits.filter(is_ftd=True)
    assert figures["ftds"] == ftds.count() > 0
    assert figures["ftds"] == Customer.objects.filter(first_deposit_at__gte=period.start).count()
    waiting = Transaction.objects.filter(type=WITHDRAWAL, status=PENDING)
    assert dashboard.pending["withdrawals"] == per_currency(waiting)
    assert waiting.exists()
    # Each client's counters are its deposits and its positions.
    made = dict(
        Transaction.objects.filter(type=DEPOSIT, status=COMPLETED)
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )
    assert dict(Customer.objects.filter(deposit_count__gt=0).values_list("pk", "deposit_count")) == made
    assert set(ftds.values_list("customer_id", flat=True)) == set(made)
    opened = dict(
        Position.objects.open()
        .values("account__customer_id")
        .annotate(n=Count("pk"))
        .values_list("account__customer_id", "n")
    )
    assert (
        dict(Customer.objects.filter(open_positions_count__gt=0).values_list("pk", "open_positions_count")) == opened
    )
    # Leads: follow-ups due; commissions of the period by status and currency.
    due = Lead.objects.active().filter(follow_up_at__lte=now, customer__isnull=True)
    assert figures["follow_ups_due"] == due.count() > 0
    assert Lead.objects.filter(follow_up_at__gt=now).exists()
    commissions: dict[str, dict[str, Decimal]] = defaultdict(dict)
    ledger = CommissionLedger.objects.filter(
        action_timestamp__gte=period.start, action_timestamp__lt=period.end
    ).values_list("status", "currency_id", "commission_amount", "corrected_commission_amount")
    for status, currency, amount, corrected in ledger:
        commissions[status][currency] = commissions[status].get(currency, Decimal(0)) + (
            amount if corrected is None else corrected
        )
    assert dashboard.commissions == dict(commissions)
    assert commissions


def log_in(client, email: str) -> None:
    response = client.post("/admin/login/?next=/admin/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, email


# login -> the pages the role works from, each with rows to work
ROLE_PAGES = {
    # the manager's desks' leads ("All leads I can see") and the ones to hand out; an agent's own ("My leads")
    "salesmanager1@demo.local": ["/admin/sales/lead/?assigned=all", "/admin/sales/lead/?assigned=unassigned"],
    "sales1@demo.local": ["/admin/sales/lead/", "/admin/customers/customer/"],
    "retention1@demo.local": ["/admin/customers/customer/"],
    "compliance1@demo.local": [
        "/admin/customers/document/?status=new",
        "/admin/customers/customer/?kyc_status=pending",
    ],
    "finance1@demo.local": ["/admin/wallets/transaction/?type=WITHDRAWAL&status=pending"],
    "affiliates1@demo.local": [
        "/admin/affiliates/affiliate/",
        "/admin/affiliates/commissionledger/?status=PENDING",
        "/admin/affiliates/referrallink/",
    ],
    "dealer1@demo.local": ["/admin/trading/position/?status=open"],
    "support1@demo.local": ["/admin/customers/customer/"],
    "admin1@demo.local": ["/admin/customers/customer/", "/admin/wallets/transaction/"],
}


def test_every_demo_role_logs_in_and_finds_rows_to_work(client):
    output = seed_full()

    for email, pages in ROLE_PAGES.items():
        assert email in output
        client.logout()
        log_in(client, email)
        home = client.get("/admin/")
        assert home.status_code == 200, email
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, (email, page)
            changelist = response.context["cl"]
            assert len(changelist.result_list) > 0, (email, page)
    assert Document.objects.filter(status=Document.Status.NEW).exists()
