"""Ticks, triggers, stop-out, account figures, swaps and funding: the engine's periodic and per-quote work.

Each trigger runs in its own transaction through the same services a client's request uses, so a tick and a
client never both close one position (both lock the account first; the second finds the position closed).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from crm.core.events import emit
from crm.core.exceptions import DomainError
from crm.core.services import record_activity
from crm.trading import formulas, selectors
from crm.trading.exceptions import InvalidPrice
from crm.trading.models import FundingRate, Instrument, MarginCall, Order, Position, Quote, SwapMode
from crm.trading.services.alerts import fire_price_alerts
from crm.trading.services.closing import close_position
from crm.trading.services.execution import cancel_order, fill_pending_order, lock_account, place_order
from crm.trading.services.market_data import record_tick
from crm.wallets import services as wallet_services
from crm.wallets.models import Wallet

if TYPE_CHECKING:
    from crm.core.typing import PermissionHolder

logger = logging.getLogger(__name__)
ZERO = Decimal(0)
HUNDRED = Decimal(100)


@transaction.atomic
def store_quote(instrument: Instrument, *, bid: Decimal, ask: Decimal, time: dt.datetime | None = None) -> Quote:
    """Keep the instrument's last quote and fold it into its candles; a quote beyond the price deviation from the
    last one is refused."""
    if bid <= 0 or ask < bid:
        raise InvalidPrice(
            gettext("%(symbol)s: the ask must not be below the bid.") % {"symbol": instrument.symbol},
            fields={"ask": [gettext("Below bid.")]},
        )
    previous = Quote.objects.select_for_update().filter(instrument=instrument).first()
    if previous is not None and instrument.price_deviation > 0:
        move = abs(bid - previous.bid) / previous.bid * HUNDRED
        if move > instrument.price_deviation:
            raise InvalidPrice(
                gettext("%(symbol)s: %(bid)s is %(move)s%% away from %(last)s, over the allowed %(allowed)s%%.")
                % {
                    "symbol": instrument.symbol,
                    "bid": bid,
                    "move": f"{move:.2f}",
                    "last": previous.bid,
                    "allowed": instrument.price_deviation.normalize(),
                },
                fields={"bid": [gettext("Beyond the price deviation.")]},
            )
    quote, _ = Quote.objects.update_or_create(
        instrument=instrument, defaults={"bid": bid, "ask": ask, "time": time or timezone.now()}
    )
    record_tick(instrument, price=bid, time=quote.time)
    return quote


def process_quote(instrument: Instrument, *, bid: Decimal, ask: Decimal, time: dt.datetime | None = None) -> int:
    """Store a quote, then fire price alerts, fill triggered orders, close positions at SL/TP and stop out accounts;
    returns actions."""
    store_quote(instrument, bid=bid, ask=ask, time=time)
    actions = fire_price_alerts(instrument, bid=bid, time=time)
    for order in _triggered_orders(instrument, bid=bid, ask=ask):
        fill_pending_order(order)
        actions += 1
    for position, reason in _triggered_positions(instrument, bid=bid, ask=ask):
        if close_position(position, reason=reason, if_open=True) is not None:
            actions += 1
    account_ids = Position.objects.open().filter(instrument=instrument).values_list("account_id", flat=True)
    for account_id in sorted(set(account_ids)):
        actions += check_stop_out(Wallet(pk=account_id))
    return actions


def _triggered_orders(instrument: Instrument, *, bid: Decimal, ask: Decimal) -> list[Order]:
    """Buy limit at ask <= price, buy stop at ask >= price; sell limit at bid >= price, sell stop at bid <= price."""
    hit = (
        Q(side="buy", type="limit", price__gte=ask)
        | Q(side="buy", type="stop", price__lte=ask)
        | Q(side="sell", type="limit", price__lte=bid)
        | Q(side="sell", type="stop", price__gte=bid)
    )
    return list(Order.objects.pending().filter(hit, instrument=instrument).select_related("account").order_by("pk"))


def _triggered_positions(instrument: Instrument, *, bid: Decimal, ask: Decimal) -> list[tuple[Position, str]]:
    """A buy closes at the bid (SL at or under it, TP at or over it); a sell at the ask, the other way round."""
    reason = Position.CloseReason
    rows = (
        Position.objects.open()
        .filter(instrument=instrument)
        .filter(
            Q(side="buy", stop_loss__gte=bid)
            | Q(side="buy", take_profit__lte=bid)
            | Q(side="sell", stop_loss__lte=ask)
            | Q(side="sell", take_profit__gte=ask)
        )
    )
    triggered: list[tuple[Position, str]] = []
    for position in rows.select_related("account").order_by("pk"):
        price = bid if position.side == formulas.Side.BUY else ask
        stop_hit = position.stop_loss is not None and (
            price <= position.stop_loss if position.side == formulas.Side.BUY else price >= position.stop_loss
        )
        triggered.append((position, reason.STOP_LOSS if stop_hit else reason.TAKE_PROFIT))
    return triggered


@transaction.atomic
def refresh_account(account: Wallet) -> selectors.AccountState:
    """Write the account's equity, margin, free margin and margin level (wallet columns owned by trading)."""
    account = lock_account(account)
    state = selectors.account_state(account)
    _write_figures(account, state)
    return state


def _write_figures(account: Wallet, state: selectors.AccountState) -> None:
    quantum = account.currency.quantum
    level = state.margin_level
    Wallet.objects.filter(pk=account.pk).update(
        equity=state.equity.quantize(quantum, ROUND_HALF_EVEN),
        margin=state.margin.quantize(quantum, ROUND_HALF_EVEN),
        free_margin=state.free_margin.quantize(quantum, ROUND_HALF_EVEN),
        margin_level=level.quantize(Decimal("0.0001"), ROUND_HALF_EVEN) if level is not None else None,
    )


@transaction.atomic
def check_stop_out(account: Wallet) -> int:
    """Close positions in the group's stop-out order until the margin level is back at or over the stop-out level.

    Returns how many positions were closed. Emits `stop_out` per close, `margin.call` when the level falls under the
    margin call level but no close is needed, once until the level recovers (`MarginCall` row). The account
    figures are written either way.
    """
    account = lock_account(account)
    settings = selectors.group_settings(account)
    closed = 0
    while True:
        positions = list(selectors.open_positions(account))
        state = selectors.account_state(account, positions=positions, settings=settings)
        level = state.margin_level
        if level is None or level >= settings.stop_out_level:
            break
        victims = [
            formulas.OpenPosition(
                key=p.pk,
                symbol=p.instrument.symbol,
                opened_at=p.opened_at,
                profit=state.profits.get(p.pk, ZERO),
                margin=state.margins.get(p.pk, ZERO),
            )
            for p in positions
        ]
        first = formulas.stop_out_order(victims, formulas.StopOutPolicy(settings.stop_out_policy))[0]
        position = next(p for p in positions if p.pk == first.key)
        comment = formulas.stop_out_comment(equity=state.equity, used_margin=state.margin)
        close_position(position, reason=Position.CloseReason.STOP_OUT, comment=comment, if_open=True)
        emit("stop_out", account_id=account.pk, customer_id=account.customer_id, position_id=position.pk, note=comment)
        closed += 1
    _flag_margin_call(account, level, settings.margin_call_level, stopped_out=bool(closed))
    _write_figures(account, state)
    return closed


def _flag_margin_call(account: Wallet, level: Decimal | None, call_level: Decimal, *, stopped_out: bool) -> None:
    """Emit `margin.call` when the account first falls under its level; forget it once the level is back."""
    if level is None or level >= call_level:
        MarginCall.objects.filter(account=account).delete()
        return
    _call, created = MarginCall.objects.get_or_create(
        account=account, defaults={"margin_level": level.quantize(Decimal("0.0001"), ROUND_HALF_EVEN)}
    )
    if created and not stopped_out:
        emit("margin.call", account_id=account.pk, customer_id=account.customer_id, margin_level=str(level))


def expire_orders(now: dt.datetime | None = None) -> int:
    """Expire the good-till-date orders whose time has passed; returns how many."""
    now = now or timezone.now()
    expired = 0
    for order in Order.objects.pending().filter(expires_at__lte=now).order_by("pk"):
        try:
            cancel_order(order, expired=True)
            expired += 1
        except DomainError:
            continue  # filled or cancelled meanwhile
    return expired


def charge_swaps(day: dt.date) -> int:
    """Charge (or pay) the rollover of `day` on every open position once; returns how many were charged."""
    charged = 0
    positions = (
        Position.objects.open()
        .filter(opened_at__date__lt=day)
        .filter(Q(last_swap_on__isnull=True) | Q(last_swap_on__lt=day))
    )
    for position_id in positions.order_by("pk").values_list("pk", flat=True):
        if charge_swap(Position(pk=position_id), day=day):
            charged += 1
    return charged


@transaction.atomic
def charge_swap(position: Position, *, day: dt.date) -> bool:
    """One position's swap for `day` (triple day counts three), through the ledger; the same day twice does nothing."""
    row = Position.objects.select_related("instrument", "account").get(pk=position.pk)
    account = lock_account(row.account)
    position = Position.objects.select_for_update().select_related("instrument").get(pk=row.pk)
    if position.status != Position.Status.OPEN or (position.last_swap_on and position.last_swap_on >= day):
        return False
    settings = selectors.group_settings(account)
    instrument = position.instrument
    days = formulas.swap_days(day, triple_weekday=instrument.swap_triple_day)
    amount = ZERO
    if settings.swaps_enabled and days:
        amount = _swap_amount(position, account=account, days=days)
    position.last_swap_on = day
    if amount:
        trading = wallet_services.system_account(Wallet.SystemCode.TRADING, account.currency_id)
        if amount < 0 and not account.allow_negative:
            amount = -min(-amount, max(account.balance, ZERO))
        if amount:
            wallet_services.post_entry(
                idempotency_key=f"trading:swap:{position.pk}:{day.isoformat()}",
                postings=[(account, amount), (trading, -amount)],
                kind="TRADING_SWAP",
                description=f"Swap of position #{position.pk} for {day.isoformat()} ({days} day(s))",
                locked={account.pk: account},
            )
            position.swap += amount
    position.save(update_fields=["last_swap_on", "swap", "updated_at"])
    return bool(amount)


def _swap_amount(position: Position, *, account: Wallet, days: int) -> Decimal:
    instrument = position.instrument
    rate = instrument.swap_long if position.side == formulas.Side.BUY else instrument.swap_short
    mode = instrument.swap_mode
    rates = selectors.Rates.load()
    if mode == SwapMode.POINTS:
        raw = formulas.swap_points(
            lots=position.lots, contract_size=instrument.contract_size, point=instrument.point, swap=rate, days=days
        )
        source = instrument.profit_currency
    elif mode in (SwapMode.CURRENCY_SYMBOL, SwapMode.CURRENCY_MARGIN, SwapMode.CURRENCY_DEPOSIT):
        raw = formulas.swap_per_lot(lots=position.lots, swap=rate, days=days)
        source = {
            SwapMode.CURRENCY_SYMBOL: instrument.margin_currency,
            SwapMode.CURRENCY_MARGIN: instrument.margin_currency,
        }.get(SwapMode(mode), account.currency_id)
    elif mode in (SwapMode.INTEREST_CURRENT, SwapMode.INTEREST_OPEN):
        price = position.open_price
        if mode == SwapMode.INTEREST_CURRENT:
            quote = selectors.last_quote(instrument)
            price = (quote.bid + quote.ask) / 2
        raw = formulas.swap_interest(
            lots=position.lots, contract_size=instrument.contract_size, price=price, annual_percent=rate, days=days
        )
        source = instrument.profit_currency
    else:
        return ZERO
    converted = raw * rates.rate(source, account.currency_id)
    return converted.quantize(account.currency.quantum, ROUND_HALF_EVEN)


def charge_funding(now: dt.datetime | None = None) -> int:
    """Charge every funding moment due by `now` on the open perpetual positions (a periodic task, as the daily
    swaps are): the moments every `funding_interval_hours` from 00:00 UTC that fell while the position was open and
    were not charged yet. Returns how many payments were posted; running it again posts nothing new."""
    now = now or timezone.now()
    charged = 0
    positions = Position.objects.open().filter(instrument__market_type=Instrument.MarketType.PERPETUAL)
    rows = positions.order_by("pk").values_list(
        "pk", "opened_at", "last_funding_at", "instrument__funding_interval_hours"
    )
    for position_id, opened_at, last_at, interval in rows:
        for moment in formulas.funding_times(max(opened_at, last_at or opened_at), now, interval_hours=interval):
            if charge_position_funding(Position(pk=position_id), at=moment):
                charged += 1
    return charged


@transaction.atomic
def charge_position_funding(position: Position, *, at: dt.datetime) -> bool:
    """One position's funding payment at the funding moment `at`, through the ledger (key: position and moment).

    Amount: notional (lots x contract size x mark price) x the rate in force at `at`, negative for a long when the
    rate is positive (formulas.funding_amount), converted into the account currency at the mid rate; the mark
    price is the mid of the last quote. A payment larger than the balance stops at zero unless the account may go
    negative (as swaps do). Returns whether money moved; a moment already charged, or before the position opened,
    changes nothing.
    """
    row = Position.objects.select_related("account").get(pk=position.pk)
    account = lock_account(row.account)
    position = Position.objects.select_for_update().select_related("instrument").get(pk=row.pk)
    if (
        position.status != Position.Status.OPEN
        or position.opened_at >= at
        or (position.last_funding_at is not None and position.last_funding_at >= at)
    ):
        return False
    instrument = position.instrument
    position.last_funding_at = at
    rate = FundingRate.objects.filter(instrument=instrument, applied_at__lte=at).order_by("-applied_at").first()
    amount = ZERO
    if rate is not None and rate.rate:
        quote = selectors.last_quote(instrument)
        raw = formulas.funding_amount(
            side=formulas.Side(position.side),
            mark_price=(quote.bid + quote.ask) / 2,
            size=position.lots * instrument.contract_size,
            rate=rate.rate,
        )
        rates = selectors.Rates.load()
        amount = (raw * rates.rate(instrument.profit_currency, account.currency_id)).quantize(
            account.currency.quantum, ROUND_HALF_EVEN
        )
        if amount < 0 and not account.allow_negative:
            amount = -min(-amount, max(account.balance, ZERO))
    if amount:
        trading = wallet_services.system_account(Wallet.SystemCode.TRADING, account.currency_id)
        wallet_services.post_entry(
            idempotency_key=f"trading:funding:{position.pk}:{at.astimezone(dt.UTC).isoformat()}",
            postings=[(account, amount), (trading, -amount)],
            kind="TRADING_FUNDING",
            description=f"Funding of position #{position.pk} at {at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC",
            locked={account.pk: account},
        )
        position.funding += amount
    position.save(update_fields=["last_funding_at", "funding", "updated_at"])
    return bool(amount)


@transaction.atomic
def open_position_for_account(
    account: Wallet, *, instrument: Instrument, side: str, lots: Decimal, actor: PermissionHolder, reason: str
) -> Order:
    """A dealer opens a position for a client's account: a market order under the same checks, with a reason."""
    order = place_order(account, instrument=instrument, side=side, lots=lots, actor=actor)
    record_activity(actor=actor, action="trading.dealer_opened", target=order, data={"reason": reason})
    return order
