"""Trading figures: the profit/loss report, trades and volume on the dashboard, exports of orders, positions and
instruments; each figure compared with a hand-computed answer on a small known data set."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from crm.core.models import ExportJob
from crm.core.roles import Role
from crm.trading.models import Deal, Order, Position, Side
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory
from tests.trading.factories import InstrumentFactory, TradingAccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker_zone")]

ZONE = ZoneInfo("Asia/Nicosia")
PROFIT_LOSS = reverse("backoffice:report-profit-loss-list")
DASHBOARD = reverse("backoffice:dashboard-list")
NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def broker_zone(settings):
    settings.TIME_ZONE = "Asia/Nicosia"
    settings.CELERY_TASK_ALWAYS_EAGER = True


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def account_of(agent, *, is_demo: bool = False):
    return TradingAccountFactory(customer=CustomerFactory(conversion_agent=agent), is_demo=is_demo)


def round_trip(account, *, opened: dt.datetime, closed: dt.datetime | None, lots="1", profit="0", commission="0"):
    """A position opened (an `in` deal) and, when `closed`, closed in full (an `out` deal)."""
    instrument = InstrumentFactory(symbol="EURUSD")
    position = Position.objects.create(
        account=account,
        instrument=instrument,
        side=Side.BUY,
        lots=Decimal(0) if closed else Decimal(lots),
        opened_lots=Decimal(lots),
        open_price=Decimal("1.1"),
        opened_at=opened,
        closed_at=closed,
        close_price=Decimal("1.2") if closed else None,
        profit=Decimal(profit),
        status=Position.Status.CLOSED if closed else Position.Status.OPEN,
    )
    common = {"account": account, "instrument": instrument, "position": position, "side": Side.BUY}
    Deal.objects.create(
        **common, entry=Deal.Entry.IN, lots=Decimal(lots), price=Decimal("1.1"),
        commission=Decimal(commission), created_at=opened,
    )  # fmt: skip
    if closed:
        Deal.objects.create(
            **common, entry=Deal.Entry.OUT, lots=Decimal(lots), price=Decimal("1.2"), profit=Decimal(profit),
            created_at=closed,
        )  # fmt: skip
    return position


@pytest.fixture
def book(sales_agent, other_sales_agent):
    """Mine: one round trip in November (+50, commission 2) and one opened 1 Nov 00:30 (broker time, commission
    1.5, still open); another agent's round trip in November; a demo account's; one closed on 31 Oct 23:30."""
    mine = account_of(sales_agent)
    round_trip(mine, opened=at(11, 5), closed=at(11, 6), lots="2", profit="50", commission="2")
    round_trip(mine, opened=at(11, 1, 0, 30), closed=None, lots="0.5", commission="1.5")
    round_trip(account_of(sales_agent), opened=at(10, 20), closed=at(10, 31, 23, 30), profit="-30")
    theirs = account_of(other_sales_agent)
    round_trip(theirs, opened=at(11, 10), closed=at(11, 11), lots="1", profit="-20", commission="1")
    round_trip(account_of(sales_agent, is_demo=True), opened=at(11, 10), closed=at(11, 11), profit="999")
    return {"mine": mine, "theirs": theirs}


def test_profit_loss_report_counts_the_agents_live_accounts_in_the_period(api_client, sales_agent, book):
    api_client.force_authenticate(sales_agent)

    response = api_client.get(PROFIT_LOSS, NOVEMBER)

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(r["account_id"], r["trades"], r["closing_trades"]) for r in rows] == [(book["mine"].pk, 3, 1)]
    row = rows[0]
    assert Decimal(row["volume"]) == Decimal("4.5")  # 2 in + 2 out + 0.5 in
    assert (Decimal(row["profit"]), Decimal(row["commission"]), Decimal(row["net"])) == (
        Decimal("50"),
        Decimal("3.5"),
        Decimal("46.5"),
    )


def test_profit_loss_report_sorts_pages_and_refuses_unknown_keys(api_client, book, django_assert_num_queries):
    dealer = staff_with_role(Role.ADMIN)
    dealer.has_perm("reports.view_reportrun")  # the permissions are read once per request; here, before
    api_client.force_authenticate(dealer)

    with django_assert_num_queries(2):  # count, page
        page = api_client.get(PROFIT_LOSS, {**NOVEMBER, "sortBy": "profit", "limit": 1, "offset": 0}).json()
    assert page["count"] == 2
    assert [r["account_id"] for r in page["results"]] == [book["theirs"].pk]
    second = api_client.get(PROFIT_LOSS, {**NOVEMBER, "sortBy": "profit", "limit": 1, "offset": 1}).json()
    assert [r["account_id"] for r in second["results"]] == [book["mine"].pk]
    assert api_client.get(PROFIT_LOSS, {**NOVEMBER, "sortBy": "nope"}).status_code == 400
    assert api_client.get(PROFIT_LOSS).status_code == 400  # the period is required


def test_profit_loss_report_needs_the_deals_permission(api_client, book):
    api_client.force_authenticate(staff_with_role(Role.AFFILIATE_MANAGER))

    assert api_client.get(PROFIT_LOSS, NOVEMBER).status_code == 403


def test_dashboard_shows_trades_volume_and_profit_per_currency(api_client, book):
    api_client.force_authenticate(staff_with_role(Role.ADMIN))

    body = api_client.get(DASHBOARD, NOVEMBER).json()

    figures = {figure["key"]: (figure["current"], figure["previous"]) for figure in body["figures"]}
    assert figures["trades"] == (5, 2)  # November: 3 mine + 2 theirs; October: the other round trip
    assert figures["traders"] == (2, 1)
    [usd] = body["trading"]
    assert usd["currency"] == "USD"
    assert (Decimal(usd["volume"]), Decimal(usd["previous_volume"])) == (Decimal("6.5"), Decimal("2"))
    assert (Decimal(usd["profit"]), Decimal(usd["previous_profit"])) == (Decimal("30"), Decimal("-30"))
    assert Decimal(usd["commission"]) == Decimal("4.5")
    assert sum(body["series"]["trades"]["current"]) == 5


def test_dashboard_trades_of_an_agent_are_their_book_only(api_client, sales_agent, book):
    api_client.force_authenticate(sales_agent)

    body = api_client.get(DASHBOARD, NOVEMBER).json()

    figures = {figure["key"]: (figure["current"], figure["previous"]) for figure in body["figures"]}
    assert figures["trades"] == (3, 2)
    assert Decimal(body["trading"][0]["profit"]) == Decimal("50")


def test_admin_dashboard_shows_the_trading_table(client, book):
    client.force_login(staff_with_role(Role.ADMIN))

    page = client.get(reverse("admin:index"), NOVEMBER).content.decode()

    assert 'data-table="trading"' in page


def test_orders_positions_and_instruments_export_with_the_list_filters(
    api_client, book, sales_agent, django_capture_on_commit_callbacks
):
    dealer = staff_with_role(Role.DEALER)
    Order.objects.create(account=book["mine"], instrument=InstrumentFactory(symbol="EURUSD"), side="buy", lots=1)
    api_client.force_authenticate(dealer)

    with django_capture_on_commit_callbacks(execute=True):
        orders = api_client.post(reverse("backoffice:order-list") + "export/?search=EUR&status=pending")
        positions = api_client.post(reverse("backoffice:position-list") + "export/?search=EUR&status=closed")
        instruments = api_client.post(reverse("backoffice:instrument-list") + "export/?category=FOREX")

    assert [r.status_code for r in (orders, positions, instruments)] == [202, 202, 202]
    jobs = {job.target: job for job in ExportJob.objects.all()}
    assert set(jobs) == {"backoffice:order-list", "backoffice:position-list", "backoffice:instrument-list"}
    assert jobs["backoffice:order-list"].params == {"search": ["EUR"], "status": ["pending"]}
    assert jobs["backoffice:order-list"].rows_total == 1
    assert jobs["backoffice:position-list"].rows_total == 4  # every closed round trip of the book
    assert all(job.status == ExportJob.Status.DONE and job.file for job in jobs.values())
    api_client.force_authenticate(sales_agent)  # reads orders, but not the dealing desk's whole book
    assert api_client.post(reverse("backoffice:order-list") + "export/").status_code == 403


def test_order_search_finds_by_symbol_account_or_client_email(api_client, book):
    order = Order.objects.create(
        account=book["mine"], instrument=InstrumentFactory(symbol="GBPUSD"), side="buy", lots=1
    )
    api_client.force_authenticate(staff_with_role(Role.DEALER))
    url = reverse("backoffice:order-list")

    for term in ("gbp", book["mine"].number, book["mine"].customer.email[:5], str(order.pk)):
        assert [r["id"] for r in api_client.get(url, {"search": term}).json()["results"]] == [order.pk], term
    assert api_client.get(url, {"search": "XAU"}).json()["results"] == []


@pytest.mark.parametrize(
    ("language", "sort_error", "period_error"),
    [
        ("es", "Ordene por uno de", "El final es anterior al inicio."),
        ("ar", "رتّب حسب أحد", "النهاية تسبق البداية."),
    ],
)
def test_report_refusals_answer_in_the_callers_language(api_client, language, sort_error, period_error):
    api_client.force_authenticate(staff_with_role(Role.ADMIN, language=language))

    bad_sort = api_client.get(PROFIT_LOSS, {**NOVEMBER, "sortBy": "nope"}, HTTP_ACCEPT_LANGUAGE=language)
    bad_period = api_client.get(
        PROFIT_LOSS, {"start": "2026-11-30", "end": "2026-11-01"}, HTTP_ACCEPT_LANGUAGE=language
    )

    assert bad_sort.json()["error"]["fields"]["sortBy"][0].startswith(sort_error)
    assert period_error in str(bad_period.json()["error"]["fields"])
