"""Trading data migrations, run forwards and backwards on rows made in the state before them."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("trading", "0009_merge_spot")]
SCALES = [("trading", "0010_one_price_and_amount_scale")]


def _migrate(targets):
    """Migrate to `targets`; the models of the state reached."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_one_price_and_amount_scale_keeps_what_clients_were_shown(at_latest):
    old = _migrate(BEFORE).get_model("trading", "Instrument")
    common = {"margin_currency": "X", "profit_currency": "Y", "price_scale": 2, "amount_scale": 2}
    old.objects.create(symbol="EURUSD", digits=5, lot_step=D("0.01"), contract_size=D(100000), **common)
    old.objects.create(symbol="BTCUSD", digits=1, lot_step=D("0.001"), contract_size=D(1), **common)
    old.objects.create(symbol="XAUUSD", digits=2, lot_step=D("0.01"), contract_size=D("0.5"), **common)

    new = _migrate(SCALES).get_model("trading", "Instrument")

    rows = new.objects.order_by("symbol").values_list("symbol", "digits", "amount_scale")
    # amount_scale: the decimals of lot step times contract size, as the front office showed; digits unchanged.
    assert list(rows) == [("BTCUSD", 1, 3), ("EURUSD", 5, 0), ("XAUUSD", 2, 3)]
    assert "price_scale" not in {field.name for field in new._meta.get_fields()}

    back = _migrate(BEFORE).get_model("trading", "Instrument")

    rows = back.objects.order_by("symbol").values_list("symbol", "price_scale", "digits")
    assert list(rows) == [("BTCUSD", 1, 1), ("EURUSD", 5, 5), ("XAUUSD", 2, 2)]
