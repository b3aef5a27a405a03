"""Every worked example of ../shared/reference/trading-formulas.md, reproduced to the cent in Decimal."""

import datetime as dt
from decimal import Decimal as D

from crm.trading import formulas as f
from crm.trading.formulas import CalcMode, Leg, Side


def test_forex_margin_one_lot_eurusd_is_1000_eur_then_1279_usd_then_1470_85_with_rate():
    eur = f.margin(CalcMode.FOREX, lots=D(1), contract_size=D(100000), price=D("1.2790"), leverage=D(100))
    usd = eur * D("1.2790")
    with_rate = f.margin(
        CalcMode.FOREX, lots=D(1), contract_size=D(100000), price=D("1.2790"), leverage=D(100), margin_rate=D("1.15")
    )

    assert eur == D(1000)
    assert f.money(usd) == D("1279.00")
    assert f.money(with_rate * D("1.2790")) == D("1470.85")


def test_forex_no_leverage_margin_is_the_whole_contract():
    assert f.margin(CalcMode.FOREX_NO_LEVERAGE, lots=D(1), contract_size=D(100000), price=D("1.2790")) == D(100000)


def test_exchange_stocks_margin_one_lot_at_33():
    assert f.margin(CalcMode.EXCH_STOCKS, lots=D(1), contract_size=D(100), price=D("33.00")) == D("3300.00")


def test_cfd_modes_use_the_market_price():
    assert f.margin(CalcMode.CFD, lots=D(2), contract_size=D(10), price=D(50), margin_rate=D("0.1")) == D(100)
    assert f.margin(CalcMode.CFD_LEVERAGE, lots=D(2), contract_size=D(10), price=D(50), leverage=D(20)) == D(50)
    assert f.margin(
        CalcMode.CFD_INDEX, lots=D(1), contract_size=D(1), price=D(4000), tick_price=D(5), tick_size=D("0.25")
    ) == D(80000)


def test_fixed_initial_margin_replaces_the_formula():
    assert f.margin(CalcMode.CFD, lots=D(2), contract_size=D(100), price=D(9), initial_margin=D(1000)) == D(2000)
    assert f.margin(
        CalcMode.FOREX, lots=D(2), contract_size=D(100000), price=D(1), leverage=D(100), initial_margin=D(1000)
    ) == D(20)


def test_profit_of_buy_and_sell_and_futures():
    buy = f.profit(
        CalcMode.FOREX,
        side=Side.BUY,
        lots=D(1),
        contract_size=D(100000),
        open_price=D("1.1000"),
        close_price=D("1.1050"),
    )
    sell = f.profit(
        CalcMode.CFD, side=Side.SELL, lots=D("0.5"), contract_size=D(100), open_price=D(33), close_price=D(35)
    )
    futures = f.profit(
        CalcMode.FUTURES,
        side=Side.BUY,
        lots=D(2),
        contract_size=D(1),
        open_price=D(4000),
        close_price=D("4001.50"),
        tick_price=D("12.5"),
        tick_size=D("0.25"),
    )

    assert buy == D("500.0000")
    assert sell == D("-100.0")
    assert futures == D("150")


def test_cross_currency_profit_converts_at_the_rate():
    jpy = f.profit(
        CalcMode.FOREX,
        side=Side.BUY,
        lots=D(1),
        contract_size=D(100000),
        open_price=D("150.00"),
        close_price=D("150.50"),
    )

    assert jpy == D("50000.00")
    assert f.money(jpy / D("150.50")) == D("332.23")


def test_hedged_same_direction_positions_use_the_weighted_price_and_orders_are_separate():
    positions = [Leg(Side.BUY, D(1), D("15.436")), Leg(Side.BUY, D(2), D("15.432"))]

    position_margin = f.same_direction_margin(positions, contract_size=D(5000), leverage=D(100))
    order_margin = f.same_direction_margin([Leg(Side.BUY, D(1), D("15.412"))], contract_size=D(5000), leverage=D(100))

    assert f.money(position_margin) == D("2315.00")
    assert f.money(order_margin) == D("770.60")
    assert f.money(position_margin) + f.money(order_margin) == D("3085.60")


def test_hedged_basic_method_charges_uncovered_and_hedged_volume():
    positions = [Leg(Side.SELL, D(1), D("1.11943"))] * 3 + [Leg(Side.BUY, D(1), D("1.11953"))] * 2

    total = f.hedged_margin_basic(
        positions,
        contract_size=D(100000),
        leverage=D(500),
        buy_rate=D(2),
        sell_rate=D(4),
        hedged_contract_size=D(100000),
    )
    uncovered_only = f.hedged_margin_basic(
        positions, contract_size=D(100000), leverage=D(500), buy_rate=D(2), sell_rate=D(4)
    )

    assert uncovered_only == D("895.54")
    assert total - uncovered_only == D("1343.36")
    assert total == D("2238.90")


def test_hedged_larger_leg_method_takes_the_larger_side_with_pending_orders():
    legs = [
        Leg(Side.BUY, D("1.00"), D("1.16214")),
        Leg(Side.BUY, D("2.00"), D("1.16207")),
        Leg(Side.SELL, D("1.00"), D("1.16184")),
        Leg(Side.SELL, D("1.00"), D("1.16189")),
        Leg(Side.BUY, D("1.00"), D("1.16053")),  # buy limit
        Leg(Side.SELL, D("1.00"), D("1.15808")),  # sell stop
        Leg(Side.SELL, D("1.00"), D("1.16067")),  # sell stop
    ]
    long_positions = f.hedged_margin_larger_leg(legs[:2], contract_size=D(100000), leverage=D(100))
    short_positions = f.hedged_margin_larger_leg(legs[2:4], contract_size=D(100000), leverage=D(100))

    assert long_positions == D("3486.28")
    assert short_positions == D("2323.73")
    assert f.hedged_margin_larger_leg([legs[4]], contract_size=D(100000), leverage=D(100)) == D("1160.53")
    assert f.hedged_margin_larger_leg(legs[5:], contract_size=D(100000), leverage=D(100)) == D("2318.75")
    assert f.hedged_margin_larger_leg(legs, contract_size=D(100000), leverage=D(100)) == D("4646.81")
    assert f.hedged_margin_larger_leg([legs[i] for i in (2, 3, 5, 6)], contract_size=D(100000), leverage=D(100)) == D(
        "4642.48"
    )


def test_fixed_margin_with_hedging_needs_2000_to_open_then_keeps_1000():
    values = {"maintenance": D(500), "hedged": D(500)}

    held = f.fixed_margin_reserved(buy_lots=D(1), sell_lots=D(0), **values)
    to_open = f.fixed_margin_to_open(
        buy_lots=D(1), sell_lots=D(0), order_side=Side.SELL, order_lots=D(2), initial=D(1000), **values
    )
    after = f.fixed_margin_reserved(buy_lots=D(1), sell_lots=D(2), **values)

    assert held == D(500)
    assert to_open == D(2000)
    assert after == D(1000)


def test_started_orders_an_opposite_order_keeps_the_margin_a_same_side_one_adds():
    per_lot = D(100000) / D(300)  # USDJPY, USD account, 1:300: 0.01 lot costs 3.33
    position = Leg(Side.SELL, D("0.02"), D(0))

    opposite = f.netting_margin_with_order(
        position=position, order=Leg(Side.BUY, D("0.03"), D(0)), margin_per_lot=per_lot
    )
    filled = f.netting_margin_with_order(position=None, order=Leg(Side.BUY, D("0.01"), D(0)), margin_per_lot=per_lot)
    same = f.netting_margin_with_order(
        position=position, order=Leg(Side.SELL, D("0.03"), D(0)), margin_per_lot=per_lot
    )

    assert f.money(position.lots * per_lot) == D("6.67")
    assert opposite == D("6.67")
    assert filled == D("3.33")
    assert same == D("16.67")


def test_margin_level_and_stop_out_threshold():
    assert f.margin_level(D("248.37"), D(500)) == D("49.674")
    assert f.margin_level(D(100), D(0)) is None
    assert f.is_stop_out(equity=D("248.37"), used_margin=D(500), level_percent=D(50))
    assert not f.is_stop_out(equity=D("248.37"), used_margin=D(496), level_percent=D(50))


def test_stop_out_comment_reads_level_equity_and_margin_like_mt4():
    assert f.stop_out_comment(equity=D(-2430), used_margin=D(1800)) == "[so: -135.0% -2430.0/1800.0]"


def test_swap_in_points_two_lots_eurusd_long_7_is_14_usd():
    point_price = D(2) * D(100000) * D("0.00001")

    swap = f.swap_points(lots=D(2), contract_size=D(100000), point=D("0.00001"), swap=D(7))

    assert point_price == D("2.00000")
    assert swap == D("14.00000")


def test_swap_by_interest_uses_a_360_day_year():
    swap = f.swap_interest(lots=D(1), contract_size=D(100000), price=D("1.08"), annual_percent=D("-3.6"), days=3)

    assert swap == D("-32.4")


def test_swap_triple_day_charges_three_days_and_weekends_none():
    wednesday = dt.date(2026, 12, 2)

    days = [f.swap_days(wednesday + dt.timedelta(days=n), triple_weekday=3) for n in range(7)]

    assert days == [3, 1, 1, 0, 0, 1, 1]  # Wed, Thu, Fri, Sat, Sun, Mon, Tue
    assert f.swap_per_lot(lots=D("0.5"), swap=D("-4"), days=3) == D("-6.0")


def _position(key: int, symbol: str, minutes: int, profit: str, margin: str) -> f.OpenPosition:
    opened = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    return f.OpenPosition(key=key, symbol=symbol, opened_at=opened, profit=D(profit), margin=D(margin))


def test_stop_out_order_by_policy():
    positions = [
        _position(1, "EURUSD", 0, "-10", "100"),
        _position(2, "EURUSD", 5, "-50", "50"),
        _position(3, "GBPUSD", 2, "-20", "300"),
        _position(4, "GBPUSD", 9, "5", "10"),
    ]

    largest_loss = [p.key for p in f.stop_out_order(positions, f.StopOutPolicy.LARGEST_LOSS)]
    fifo = [p.key for p in f.stop_out_order(positions, f.StopOutPolicy.FIFO)]
    largest_margin = [p.key for p in f.stop_out_order(positions, f.StopOutPolicy.LARGEST_MARGIN)]

    assert largest_loss == [2, 3, 1, 4]
    assert fifo == [3, 1, 2, 4]  # oldest per symbol (1 vs 3): 3 loses more; then 1 vs 4; then 2 vs 4
    assert largest_margin == [3, 1, 2, 4]


def test_ctrader_smart_stop_out_closes_2000_usdjpy_and_leaves_the_level_above_50():
    units = D(250000)
    leverage = D(500)
    pip_value_usd = D("24.67")  # 2,500 JPY for 250,000 units at the FAQ's rate
    unrealised = -f.money(D("10.2") * pip_value_usd)
    equity = D(500) + unrealised
    used_margin = units / leverage

    level = f.margin_level(equity, used_margin)
    volume = f.smart_stop_out_volume(
        equity=equity,
        used_margin=used_margin,
        margin_per_unit=1 / leverage,
        level_percent=D(50),
        increment=D(1000),
        max_volume=D(200000),
    )
    realised = f.money(unrealised * volume / units)

    assert unrealised == D("-251.63")
    assert equity == D("248.37")
    assert f.money(level, 1) == D("49.7")
    assert volume == D(2000)
    assert realised == D("-2.01")
    assert D(500) + realised == D("497.99")
    assert used_margin - volume / leverage == D("496.000")
    assert f.money(f.margin_level(equity, D(496))) == D("50.07")


def test_funding_longs_pay_a_positive_rate_shorts_receive_it():
    assert f.funding_amount(side=Side.BUY, mark_price=D("60000"), size=D("0.5"), rate=D("0.0001")) == D("-3.0000")
    assert f.funding_amount(side=Side.SELL, mark_price=D("60000"), size=D("0.5"), rate=D("0.0001")) == D("3.0000")


def test_funding_times_every_eight_hours_from_midnight_utc():
    start = dt.datetime(2026, 1, 1, 7, 30, tzinfo=dt.UTC)
    end = dt.datetime(2026, 1, 2, 0, 0, tzinfo=dt.UTC)

    assert f.funding_times(start, end) == [
        dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, 16, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 0, tzinfo=dt.UTC),
    ]
