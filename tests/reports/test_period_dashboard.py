"""The period dashboard: each figure against a hand-computed answer, broker-day boundaries, role scope, queries."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.affiliates.models import CommissionLedger, PayoutRequest
from crm.core.roles import Role
from crm.reports import rollups
from crm.reports.periods import Period
from crm.reports.scope import scope_for
from crm.reports.selectors import build_dashboard
from crm.sales.models import Lead
from crm.users.models import LoginRecord
from crm.wallets.models import Transaction
from tests.affiliates.factories import AffiliateFactory, CommissionLedgerFactory, PayoutWalletFactory
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory, PortalCustomerFactory
from tests.sales.factories import DeskFactory, LeadFactory
from tests.wallets.factories import CurrencyFactory, TransactionFactory, WalletFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_zone")]

ZONE = ZoneInfo("Asia/Nicosia")  # UTC+2 in November: a broker day starts at 22:00 UTC the day before
NOVEMBER = Period(first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30))  # previous: 2 Oct .. 31 Oct
INDEX = reverse("admin:index")


@pytest.fixture
def broker_zone(settings):
    settings.TIME_ZONE = "Asia/Nicosia"


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment in the broker's time zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def figures(user, period=NOVEMBER) -> dict[str, tuple[int, int]]:
    dashboard = build_dashboard(user, scope=scope_for(user), period=period, now=at(2026, 12, 1))
    return {figure.key: (figure.current, figure.previous) for figure in dashboard.figures}


def deposit(customer, amount: str, when: dt.datetime, *, currency: str = "USD", **kwargs) -> Transaction:
    wallet = WalletFactory(customer=customer, currency=CurrencyFactory(code=currency))
    fields = {"status": Transaction.Status.COMPLETED, **kwargs}
    txn = TransactionFactory(wallet=wallet, amount=Decimal(amount), **fields)
    Transaction.objects.filter(pk=txn.pk).update(created_at=when)
    return txn


def test_registrations_and_ftds_count_broker_days_and_compare_with_the_previous_period(admin_staff):
    CustomerFactory(registered_at=utc(2026, 10, 31, 22, 30))  # 1 Nov 00:30 in Nicosia: November
    CustomerFactory(registered_at=utc(2026, 10, 31, 21, 30))  # 31 Oct 23:30: the previous period
    CustomerFactory(registered_at=utc(2026, 11, 30, 22, 30))  # 1 Dec 00:30: neither
    CustomerFactory(registered_at=at(2026, 11, 15), first_deposit_at=at(2026, 11, 16))
    CustomerFactory(registered_at=at(2026, 9, 1), first_deposit_at=at(2026, 10, 5))
    CustomerFactory(registered_at=at(2026, 10, 1))  # 1 Oct is before the previous period (2 Oct .. 31 Oct)

    result = figures(admin_staff)

    assert result["registrations"] == (2, 1)
    assert result["ftds"] == (1, 1)


def test_registrations_per_day_line_up_with_the_previous_period(admin_staff):
    CustomerFactory(registered_at=at(2026, 11, 1, 0, 10))
    CustomerFactory.create_batch(2, registered_at=at(2026, 11, 30, 23, 50))
    CustomerFactory(registered_at=at(2026, 10, 2, 0, 5))

    dashboard = build_dashboard(admin_staff, scope=scope_for(admin_staff), period=NOVEMBER)

    series = dashboard.series["registrations"]
    assert series["days"][0] == "2026-11-01"
    assert len(series["current"]) == len(series["previous"]) == 30
    assert (series["current"][0], series["current"][29], sum(series["current"])) == (1, 2, 3)
    assert (series["previous"][0], sum(series["previous"])) == (1, 1)


def test_money_is_summed_per_currency_with_net_deposits_and_pending_withdrawals(finance_officer):
    client = CustomerFactory()
    deposit(client, "100.00", at(2026, 11, 2))
    deposit(client, "50.50", at(2026, 11, 30, 23, 59))
    deposit(client, "999.00", at(2026, 11, 3), status=Transaction.Status.PENDING)  # not completed
    deposit(client, "30.00", at(2026, 11, 4), type=Transaction.Type.WITHDRAWAL, status=Transaction.Status.APPROVED)
    deposit(client, "5.00", at(2026, 11, 4), type=Transaction.Type.WITHDRAWAL, status=Transaction.Status.REJECTED)
    deposit(client, "7.00", at(2026, 11, 4), type=Transaction.Type.WITHDRAWAL, status=Transaction.Status.PENDING)
    deposit(client, "20.00", at(2026, 10, 20))
    deposit(client, "0.001", at(2026, 11, 5), currency="BTC")

    dashboard = build_dashboard(finance_officer, scope=scope_for(finance_officer), period=NOVEMBER)

    rows = {row.currency: row for row in dashboard.money}
    assert set(rows) == {"BTC", "USD"}
    usd = rows["USD"]
    assert (usd.deposits, usd.withdrawals, usd.net_deposits) == (
        Decimal("150.50"),
        Decimal("30.00"),
        Decimal("120.50"),
    )
    assert (usd.previous_deposits, usd.previous_net_deposits) == (Decimal("20.00"), Decimal("20.00"))
    assert rows["BTC"].deposits == Decimal("0.001")
    assert dashboard.pending["withdrawals"] == {"USD": Decimal("7.00")}
    assert sum(dashboard.series["deposits"]["current"]) == 3


def test_an_agent_counts_only_their_own_book(sales_agent, other_sales_agent):
    CustomerFactory.create_batch(2, conversion_agent=sales_agent, registered_at=at(2026, 11, 10), country="DE")
    CustomerFactory(retention_agent=sales_agent, registered_at=at(2026, 11, 10), country="FR")
    CustomerFactory.create_batch(3, conversion_agent=other_sales_agent, registered_at=at(2026, 11, 10))
    mine = LeadFactory(sales_person=sales_agent)
    LeadFactory(sales_person=other_sales_agent)
    Lead.objects.update(created_at=at(2026, 11, 11))
    Lead.objects.filter(pk=mine.pk).update(converted_at=at(2026, 11, 12))
    deposit(CustomerFactory(conversion_agent=sales_agent, registered_at=at(2026, 1, 1)), "40.00", at(2026, 11, 5))
    deposit(
        CustomerFactory(conversion_agent=other_sales_agent, registered_at=at(2026, 1, 1)), "60.00", at(2026, 11, 5)
    )

    dashboard = build_dashboard(sales_agent, scope=scope_for(sales_agent), period=NOVEMBER, now=at(2026, 12, 1))

    result = {figure.key: figure.current for figure in dashboard.figures}
    assert (result["registrations"], result["leads"], result["conversions"]) == (3, 1, 1)
    assert [(row.currency, row.deposits) for row in dashboard.money] == [("USD", Decimal("40.00"))]
    assert {row.label: row.counts["registrations"] for row in dashboard.breakdowns["country"]} == {"DE": 2, "FR": 1}


def test_messages_sent_and_read_count_broker_days_in_the_agents_book(sales_agent, other_sales_agent, admin_staff):
    from crm.communications.models import Message

    mine = CustomerFactory(conversion_agent=sales_agent)
    theirs = CustomerFactory(conversion_agent=other_sales_agent)
    rows = [
        (mine, utc(2026, 10, 31, 22, 30), utc(2026, 11, 30, 22, 30)),  # sent 1 Nov (Nicosia); read 1 Dec: not counted
        (mine, at(2026, 10, 20), at(2026, 11, 2)),  # sent in the previous period, read in November
        (mine, utc(2026, 10, 31, 21, 30), None),  # 31 Oct 23:30 in Nicosia: previous period, unread
        (mine, at(2026, 11, 5), at(2026, 11, 5, 13)),
        (theirs, at(2026, 11, 5), at(2026, 11, 6)),  # another agent's client
    ]
    for customer, sent, read in rows:
        message = Message.objects.create(customer=customer, subject="News", text="x")
        Message.objects.filter(pk=message.pk).update(created_at=sent, read_at=read)

    mine_only = figures(sales_agent)
    everyone = figures(admin_staff)

    assert (mine_only["messages_sent"], mine_only["messages_read"]) == ((2, 2), (2, 0))
    assert (everyone["messages_sent"], everyone["messages_read"]) == ((3, 2), (3, 0))


def test_a_desk_manager_counts_the_desk(db):
    manager = staff_with_role(Role.SALES_AGENT)
    member, outsider = staff_with_role(Role.SALES_AGENT), staff_with_role(Role.SALES_AGENT)
    desk = DeskFactory(manager=manager)
    desk.members.add(member)
    CustomerFactory(conversion_agent=member, registered_at=at(2026, 11, 3))
    CustomerFactory(conversion_agent=manager, registered_at=at(2026, 11, 3))
    CustomerFactory(conversion_agent=outsider, registered_at=at(2026, 11, 3))
    LeadFactory(desk=desk, sales_person=None)
    LeadFactory(sales_person=outsider)
    Lead.objects.update(created_at=at(2026, 11, 4))

    result = figures(manager)

    assert result["registrations"] == (2, 0)
    assert result["leads"] == (1, 0)


def test_logins_count_successful_portal_logins_without_impersonation(admin_staff):
    client = PortalCustomerFactory()
    for result, reason in [("success", "password"), ("success", "password"), ("failure", "bad_credentials")]:
        LoginRecord.objects.create(user=client.user, email="x@example.com", result=result, reason=reason)
    LoginRecord.objects.create(user=client.user, email="x@example.com", result="success", reason="impersonation")
    LoginRecord.objects.update(created_at=at(2026, 11, 20))

    assert figures(admin_staff)["logins"] == (2, 0)


def test_affiliate_manager_sees_commissions_by_status_and_pending_payout_requests(db):
    manager = staff_with_role(Role.AFFILIATE_MANAGER)
    affiliate = AffiliateFactory()
    CommissionLedgerFactory(introducer=affiliate, action_timestamp=at(2026, 11, 9), commission_amount=Decimal("10"))
    CommissionLedgerFactory(
        introducer=affiliate,
        action_timestamp=at(2026, 11, 9),
        commission_amount=Decimal("10"),
        corrected_commission_amount=Decimal("4"),
        status=CommissionLedger.Status.PENDING,
    )
    CommissionLedgerFactory(introducer=affiliate, action_timestamp=at(2026, 10, 9))
    PayoutRequest.objects.create(
        introducer=affiliate,
        payout_wallet=PayoutWalletFactory(affiliate=affiliate),
        amount="25.00",
        currency_id="USD",
        requested_at=at(2026, 11, 20),
    )

    dashboard = build_dashboard(manager, scope=scope_for(manager), period=NOVEMBER)

    assert dashboard.commissions == {"APPROVED": {"USD": Decimal("10")}, "PENDING": {"USD": Decimal("4")}}
    assert dashboard.pending["payout_requests"] == {"USD": Decimal("25.00")}


def test_sections_follow_the_role(sales_agent, support_agent):
    agent_sections = {
        figure.key for figure in build_dashboard(sales_agent, scope=scope_for(sales_agent), period=NOVEMBER).figures
    }

    assert agent_sections == {
        "registrations", "ftds", "logins", "leads", "conversions", "follow_ups_due", "trades", "traders",
        "messages_sent", "messages_read",
    }  # fmt: skip
    assert build_dashboard(sales_agent, scope=scope_for(sales_agent), period=NOVEMBER).commissions == {}


ROLLUPS = connection.vendor == "postgresql"  # no rollups on SQLite: no rollup state to read


@pytest.mark.parametrize(
    ("rolled_up", "expected"),
    [
        (False, 10 if ROLLUPS else 9),
        pytest.param(True, 10, marks=pytest.mark.skipif(not ROLLUPS, reason="rollups are kept on PostgreSQL only")),
    ],
    ids=["raw_case", "rollups_and_raw_case"],
)
def test_dashboard_queries_do_not_grow_with_rows(admin_staff, rolled_up, expected):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            build_dashboard(admin_staff, scope=scope_for(admin_staff), period=NOVEMBER, now=at(2026, 12, 1))
        return len(queries)

    CustomerFactory(conversion_agent=staff_with_role(Role.SALES_AGENT), registered_at=at(2026, 11, 2))
    if rolled_up:
        rollups.refresh(now=at(2026, 11, 20))  # 2 Oct .. 19 Nov rolled up, the rest raw
    count()  # permissions cached
    few = count()
    for agent in (staff_with_role(Role.SALES_AGENT), staff_with_role(Role.SALES_AGENT)):
        for customer in CustomerFactory.create_batch(3, conversion_agent=agent, registered_at=at(2026, 11, 2)):
            deposit(customer, "10.00", at(2026, 11, 3))
        LeadFactory.create_batch(3, sales_person=agent)

    # Rollup state and touched days (one query); clients: one query of their events (raw rows and rollups) grouped
    # per day and per breakdown, log-ins, the agents' and introducers' names; leads: one query (figures, per day, top
    # desks and agents); money: one query of its events grouped per currency and per day; trading: one query (rows
    # per currency, whose sums are the figures, and per day); messages: one aggregate.
    assert count() == few == expected


def test_admin_home_shows_the_chosen_period_with_charts(client, admin_staff):
    CustomerFactory(registered_at=at(2026, 11, 15))
    client.force_login(admin_staff)

    response = client.get(INDEX, {"start": "2026-11-01", "end": "2026-11-30"})

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["period"] == NOVEMBER
    assert 'data-figure="registrations">1<' in html
    charts = {chart["key"]: json.loads(chart["chart"]) for chart in response.context["period_charts"]}
    assert sum(charts["registrations"]["datasets"][0]["data"]) == 1
    assert charts["registrations"]["datasets"][1]["label"] == "Previous period"


def test_admin_home_refuses_a_period_ending_before_it_starts(client, admin_staff):
    client.force_login(admin_staff)

    response = client.get(INDEX, {"start": "2026-11-30", "end": "2026-11-01"})

    assert response.status_code == 200
    assert "data-period-error" in response.content.decode()
    assert response.context["period"].days == 30
