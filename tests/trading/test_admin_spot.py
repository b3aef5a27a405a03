"""The dealing desk's spot fills and spot holdings changelists: the clients' rows, in a fixed number of queries."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.roles import Role
from crm.trading import services
from tests.conftest import staff_with_role
from tests.trading.factories import TradingAccountFactory, spot_market
from tests.wallets.helpers import fund

pytestmark = pytest.mark.django_db


def buy_bitcoin(market, accounts: int) -> None:
    """Each new account buys BTC: a fill, and a holding of it."""
    for _ in range(accounts):
        account = fund(TradingAccountFactory(), "10000.00")
        services.place_spot_order(account, instrument=market, side="buy", base_amount=D("0.0100"))


@pytest.mark.parametrize("url_name", ["admin:trading_spotfill_changelist", "admin:trading_spotholding_changelist"])
def test_spot_changelists_cost_the_same_queries_for_one_client_and_for_four(client, url_name):
    client.force_login(staff_with_role(Role.DEALER))
    market = spot_market("BTCUSD")
    url = reverse(url_name)
    buy_bitcoin(market, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        one = client.get(url)
    buy_bitcoin(market, 3)
    with CaptureQueriesContext(connection) as many:
        four = client.get(url)

    assert (one.status_code, four.status_code) == (200, 200)
    assert (len(one.context["cl"].result_list), len(four.context["cl"].result_list)) == (1, 4)
    assert len(many) == len(few), "\n".join(query["sql"][:200] for query in many.captured_queries)
