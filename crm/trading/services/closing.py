"""Closing positions (in full or part) and settling their money through the ledger.

Realised profit moves between the account and the broker's trading counterparty account (system code
`trading`); commission goes to fee income. A loss larger than what the account holds is charged only up to its
balance: the rest is the broker's (negative balance protection), recorded on the deal as `compensation`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from crm.core.events import emit
from crm.core.services import record_activity
from crm.trading import formulas, selectors
from crm.trading.exceptions import InvalidVolume, PositionClosed, TradingNotAllowed
from crm.trading.models import Deal, Position, Quote
from crm.trading.services.execution import _position_payload, lock_account, slip
from crm.wallets import services as wallet_services
from crm.wallets.models import Wallet

ZERO = Decimal(0)


@transaction.atomic
def close_position(
    position: Position,
    *,
    lots: Decimal | None = None,
    reason: str = Position.CloseReason.CLIENT,
    actor: Any = None,
    comment: str = "",
    quote: Quote | None = None,
    if_open: bool = False,
) -> Deal | None:
    """Close `lots` of a position (all by default) at the current close price and settle the money.

    A closed position is refused with `position_closed`, or left alone when `if_open` (triggers and stop-outs,
    which may race a client's own close: one of them closes it, the other finds it closed).
    """
    account = lock_account(position.account)
    position = Position.objects.select_for_update().select_related("instrument").get(pk=position.pk)
    if position.adapter_id is not None:
        raise TradingNotAllowed(
            gettext("Position #%(id)s lives on an outside platform; close it there.") % {"id": position.pk},
            fields={"position": [gettext("On an outside platform.")]},
        )
    if position.status != Position.Status.OPEN:
        if if_open:
            return None
        raise PositionClosed(
            gettext("Position #%(id)s is already closed.") % {"id": position.pk},
            fields={"status": [gettext("Closed.")]},
        )
    closing = position.lots if lots is None else lots
    if closing <= 0 or closing > position.lots:
        raise InvalidVolume(
            gettext("Position #%(id)s holds %(lots)s lots.") % {"id": position.pk, "lots": position.lots.normalize()},
            fields={"lots": [gettext("Out of range.")]},
        )
    remainder = position.lots - closing
    if 0 < remainder < position.instrument.min_lot:
        raise InvalidVolume(
            gettext("What stays open must be at least %(lots)s lots.")
            % {"lots": position.instrument.min_lot.normalize()},
            fields={"lots": [gettext("Leaves too little open.")]},
        )
    return _close(position, account=account, lots=closing, reason=reason, actor=actor, comment=comment, quote=quote)


def _close(
    position: Position,
    *,
    account: Wallet,
    lots: Decimal,
    reason: str,
    actor: Any,
    comment: str,
    quote: Quote | None,
) -> Deal:
    instrument = position.instrument
    settings = selectors.group_settings(account)
    _, markup, commission_per_lot = selectors.instrument_terms(settings, instrument)
    quote = quote or selectors.last_quote(instrument)
    price = selectors.close_price_for(position.side, quote, instrument, markup)
    if reason != Position.CloseReason.TAKE_PROFIT:  # a market close slips; a take profit fills like a limit
        closing_side = formulas.Side.SELL if position.side == formulas.Side.BUY else formulas.Side.BUY
        price = slip(price, side=closing_side, instrument=instrument)
    rates = selectors.Rates.load()
    raw = formulas.profit(
        formulas.CalcMode(instrument.profit_calc_mode),
        side=formulas.Side(position.side),
        lots=lots,
        contract_size=instrument.contract_size,
        open_price=position.open_price,
        close_price=price,
        tick_price=instrument.tick_value,
        tick_size=instrument.tick_size,
    )
    quantum = account.currency.quantum
    profit = (raw * rates.rate(instrument.profit_currency, account.currency_id)).quantize(quantum, ROUND_HALF_EVEN)
    commission = selectors.deal_commission(
        account, settings, instrument, lots=lots, price=price, per_lot=commission_per_lot
    )
    now = timezone.now()
    deal = Deal.objects.create(
        account=account,
        instrument=instrument,
        position=position,
        side=formulas.Side.SELL if position.side == formulas.Side.BUY else formulas.Side.BUY,
        entry=Deal.Entry.OUT,
        lots=lots,
        price=price,
        profit=profit,
        commission=commission,
        comment=comment[:100],
        created_at=now,
    )
    compensation = settle(account, deal=deal, profit=profit, commission=commission)
    if compensation:
        deal.compensation = compensation
        deal.save(update_fields=["compensation"])
    position.lots -= lots
    position.profit += profit
    position.commission += commission
    fields = ["lots", "profit", "commission", "updated_at"]
    if position.lots == 0:
        position.status = Position.Status.CLOSED
        position.close_price = price
        position.closed_at = now
        position.close_reason = reason
        fields += ["status", "close_price", "closed_at", "close_reason"]
    position.save(update_fields=fields)
    record_activity(
        actor=actor,
        action="trading.position_closed" if position.lots == 0 else "trading.position_reduced",
        target=position,
        data={"lots": lots, "price": price, "profit": profit, "reason": reason},
    )
    if position.status == Position.Status.CLOSED:
        position.account = account
        emit(
            "position.closed",
            **{**_position_payload(position), "profit": str(position.profit.quantize(quantum)), "reason": reason},
        )
    return deal


def settle(account: Wallet, *, deal: Deal, profit: Decimal, commission: Decimal) -> Decimal:
    """Post a deal's profit and commission; returns the loss the broker bore (never takes the balance below zero)."""
    trading = wallet_services.system_account(Wallet.SystemCode.TRADING, account.currency_id)
    locked = {account.pk: account}
    compensation = ZERO
    if profit > 0:
        wallet_services.post_entry(
            idempotency_key=f"trading:deal:{deal.pk}:profit",
            postings=[(account, profit), (trading, -profit)],
            kind="TRADING_PROFIT",
            description=f"Profit of deal #{deal.pk}",
            locked=locked,
        )
    elif profit < 0:
        charged = _chargeable(account, -profit)
        compensation += -profit - charged
        if charged:
            wallet_services.post_entry(
                idempotency_key=f"trading:deal:{deal.pk}:profit",
                postings=[(account, -charged), (trading, charged)],
                kind="TRADING_PROFIT",
                description=f"Loss of deal #{deal.pk}",
                locked=locked,
            )
    if commission > 0:
        charged = _chargeable(account, commission)
        compensation += commission - charged
        if charged:
            fees = wallet_services.system_account(Wallet.SystemCode.FEE_INCOME, account.currency_id)
            wallet_services.post_entry(
                idempotency_key=f"trading:deal:{deal.pk}:commission",
                postings=[(account, -charged), (fees, charged)],
                kind="TRADING_COMMISSION",
                description=f"Commission of deal #{deal.pk}",
                locked=locked,
            )
    return compensation


def _chargeable(account: Wallet, amount: Decimal) -> Decimal:
    """What can be taken from the account's balance now (all of it when the account may go negative)."""
    if account.allow_negative:
        return amount
    return min(amount, max(account.balance, ZERO))
