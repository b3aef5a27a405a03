"""The dashboard's daily rollups: figures read from rollups plus live rows equal the raw computation, at every
moment (before a refresh, after it, after rows change, after the broker's zone changes), for every scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from crm.core.roles import Role
from crm.customers.models import Customer
from crm.reports import rollups
from crm.reports.dashboard import client_dashboard
from crm.reports.models import ClientDay, MoneyDay, RollupTouch
from crm.reports.periods import Period
from crm.reports.rollups import Coverage
from crm.reports.scope import scope_for
from crm.reports.selectors import build_dashboard
from crm.reports.tasks import refresh_dashboard_rollups_task
from crm.wallets.models import Transaction
from tests.affiliates.factories import AffiliateFactory
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory
from tests.sales.factories import DeskFactory
from tests.wallets.factories import CurrencyFactory, TransactionFactory, WalletFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("broker_zone"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the rollups are kept on PostgreSQL only"),
]

ZONE = ZoneInfo("Asia/Nicosia")  # UTC+2 in November: a broker day starts at 22:00 UTC the day before
NOVEMBER = Period(first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30))  # previous: 2 Oct .. 31 Oct
RAW = Coverage(covered_through=None, touched=frozenset())


@pytest.fixture
def broker_zone(settings):
    settings.TIME_ZONE = "Asia/Nicosia"


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def utc(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def movement(customer, amount: str, when: dt.datetime, *, currency: str = "USD", **fields) -> Transaction:
    wallet = WalletFactory(customer=customer, currency=CurrencyFactory(code=currency))
    txn = TransactionFactory(
        wallet=wallet, amount=Decimal(amount), **{"status": Transaction.Status.COMPLETED, **fields}
    )
    Transaction.objects.filter(pk=txn.pk).update(created_at=when)
    return txn


@pytest.fixture
def book(admin_staff):
    """Two agents in a managed desk and one outside it; clients and money on both sides of broker-day edges."""
    manager, member, outsider = (staff_with_role(Role.SALES_AGENT) for _ in range(3))
    DeskFactory(manager=manager).members.add(member)
    introducer = AffiliateFactory().customer
    clients = [
        CustomerFactory(conversion_agent=member, registered_at=utc(10, 31, 22, 30), country="DE", source="google"),
        CustomerFactory(conversion_agent=member, registered_at=utc(10, 31, 21, 30), country="DE", source="web"),
        CustomerFactory(
            conversion_agent=outsider,
            retention_agent=member,
            registered_at=at(11, 15),
            first_deposit_at=utc(11, 19, 22, 10),  # 20 Nov in Nicosia
            country="FR",
            introducer=introducer,
        ),
        CustomerFactory(conversion_agent=outsider, registered_at=at(9, 1), first_deposit_at=at(10, 5), country="GB"),
        CustomerFactory(conversion_agent=manager, registered_at=at(11, 30, 23, 50), kyc_status="pending"),
        CustomerFactory(registered_at=at(11, 19, 23, 59), source="affiliate", introducer=introducer),
        CustomerFactory(conversion_agent=outsider, registered_at=at(11, 20, 0, 1), country="ES"),
    ]
    movement(clients[0], "100.00", utc(10, 31, 22, 0))  # 1 Nov 00:00 in Nicosia
    movement(clients[0], "25.50", utc(10, 31, 21, 59))  # 31 Oct: the previous period
    movement(clients[2], "40.00", at(11, 19, 23, 59), currency="EUR")
    movement(clients[2], "15.00", at(11, 20, 0, 0), currency="EUR")
    movement(clients[3], "30.00", at(11, 4), type=Transaction.Type.WITHDRAWAL, status=Transaction.Status.APPROVED)
    movement(clients[3], "9.00", at(11, 4), type=Transaction.Type.WITHDRAWAL, status=Transaction.Status.REJECTED)
    movement(clients[4], "70.00", at(11, 3), status=Transaction.Status.PENDING)
    movement(clients[3], "12.00", at(9, 10), type=Transaction.Type.WITHDRAWAL, status=Transaction.Status.PENDING)
    movement(clients[0], "8.00", at(11, 10), type=Transaction.Type.WITHDRAWAL, status=Transaction.Status.PENDING)
    movement(clients[5], "0.001", at(11, 5), currency="BTC")
    return {"admin": admin_staff, "manager": manager, "member": member, "outsider": outsider, "clients": clients}


def seen(user, coverage: Coverage | None = None) -> dict[str, object]:
    """Everything the admin home shows `user` for November (and the KPI cards), with `coverage` (None: the
    rollups as they are now)."""
    dashboard = build_dashboard(user, scope=scope_for(user), period=NOVEMBER, now=at(12, 1), coverage=coverage)
    cards = client_dashboard(user, coverage)
    return {
        "figures": dashboard.figures,
        "money": dashboard.money,
        "pending": dashboard.pending,
        "series": dashboard.series,
        "breakdowns": dashboard.breakdowns,
        "kpis": [(str(card["title"]), card["value"]) for card in cards["kpis"]],
        "kyc": cards["chart_kyc"],
        "countries": cards["chart_countries"],
    }


ROLES = ["admin", "manager", "member", "outsider"]


@pytest.mark.parametrize("role", ROLES)
def test_rollups_and_todays_rows_give_the_raw_figures_in_every_scope(book, role):
    user = book[role]
    raw = seen(user, RAW)

    rollups.refresh(now=at(11, 20, 9))  # rolled up through 19 Nov; 20 Nov onwards read live

    assert Coverage.load().covered_through == dt.date(2026, 11, 19)
    assert seen(user) == raw


def test_the_known_figures_come_out_of_the_rollups(book):
    rollups.refresh(now=at(12, 1, 9))  # all of November rolled up

    dashboard = build_dashboard(book["admin"], scope=scope_for(book["admin"]), period=NOVEMBER, now=at(12, 1))

    figures = {figure.key: (figure.current, figure.previous) for figure in dashboard.figures}
    assert figures["registrations"] == (5, 1)
    assert figures["ftds"] == (1, 1)
    money = {row.currency: (row.deposits, row.withdrawals, row.previous_deposits) for row in dashboard.money}
    assert money == {
        "BTC": (Decimal("0.001"), Decimal("0"), Decimal("0")),
        "EUR": (Decimal("55.00"), Decimal("0"), Decimal("0")),
        "USD": (Decimal("100.00"), Decimal("30.00"), Decimal("25.50")),
    }
    assert dashboard.pending["withdrawals"] == {"USD": Decimal("20.00")}  # waiting now, whenever asked for
    assert dashboard.series["registrations"]["current"][0] == 1  # 1 Nov: the 22:30 UTC registration
    assert dashboard.series["deposits"]["current"][19] == 1  # 20 Nov: the EUR deposit at 00:00
    assert {row.label: row.counts["registrations"] for row in dashboard.breakdowns["country"]}["DE"] == 1
    member = build_dashboard(book["member"], scope=scope_for(book["member"]), period=NOVEMBER, now=at(12, 1))
    assert {figure.key: figure.current for figure in member.figures}["registrations"] == 2  # own + retention
    manager = build_dashboard(book["manager"], scope=scope_for(book["manager"]), period=NOVEMBER, now=at(12, 1))
    assert {figure.key: figure.current for figure in manager.figures}["registrations"] == 3  # the desk


def test_a_desk_manager_s_cards_count_every_client_of_the_desk(book):
    def cards(coverage=None):
        data = client_dashboard(type(book["manager"]).objects.get(pk=book["manager"].pk), coverage)
        return data["dashboard_scope"], {str(card["title"]): card["value"] for card in data["kpis"]}

    # Clients 0 and 1 (the member converts them), 2 (the member retains it) and 4 (the manager's own).
    expected = ("Your desks' clients", 4, 1)
    scope, raw = cards(RAW)
    assert (scope, raw["Clients"], raw["My clients"]) == expected
    rollups.refresh(now=at(12, 1, 9))
    scope, rolled = cards()
    assert (scope, rolled["Clients"], rolled["My clients"]) == expected


@pytest.mark.parametrize("role", ROLES)
def test_changes_after_a_refresh_are_read_live_until_the_next_one(book, role):
    user = book[role]
    rollups.refresh(now=at(12, 1, 9))
    moved, deposited = book["clients"][0], Transaction.objects.get(amount=Decimal("70.00"))
    approved = Transaction.objects.get(amount=Decimal("12.00"))

    Customer.objects.filter(pk=moved.pk).update(conversion_agent=book["outsider"], country="PL")  # no updated_at
    Transaction.objects.filter(pk=deposited.pk).update(status=Transaction.Status.COMPLETED)
    Transaction.objects.filter(pk=approved.pk).update(status=Transaction.Status.APPROVED)
    CustomerFactory(conversion_agent=book["member"], registered_at=at(11, 10), country="IT")

    raw = seen(user, RAW)
    assert Coverage.load().touched  # the triggers recorded the days
    assert seen(user) == raw
    rollups.refresh(now=at(12, 1, 9))
    assert not RollupTouch.objects.exists()
    assert seen(user) == raw


def test_a_refresh_is_idempotent_and_recomputes_everything_when_the_zone_changes(book, settings):
    assert refresh_dashboard_rollups_task.delay().get() > 0
    rows = sorted(ClientDay.objects.values_list("day", "country", "registrations", "ftds"))
    money = sorted(MoneyDay.objects.values_list("day", "currency_id", "deposits", "withdrawals"))

    assert rollups.refresh() == 0
    assert sorted(ClientDay.objects.values_list("day", "country", "registrations", "ftds")) == rows
    assert sorted(MoneyDay.objects.values_list("day", "currency_id", "deposits", "withdrawals")) == money

    settings.TIME_ZONE = "UTC"
    raw = seen(book["admin"], RAW)
    assert Coverage.load().covered_through is None  # rollups of another zone are not read
    rollups.refresh()
    assert Coverage.load().covered_through == dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    assert seen(book["admin"]) == raw
