"""Dealer corrections (000 dealing desk): a position's open price, close price or commission set right, with a
reason, and its money effect redone through the ledger.

Each deal whose money changes has its current entry (the deal's own, `trading:deal:<id>:profit|commission`, or the
re-post of an earlier correction) reversed (`reverses`) and the corrected amount posted anew, both keyed by the
correction (`trading:correction:<id>:deal:<deal>:<what>:reverse|repost`), so the journal shows what was charged,
what was undone and what stands. Corrected amounts are posted in full: a correction that would take a balance
below zero (an account that may not go negative) is refused and changes nothing. What moves:

- open price: the position's opening deal, and the profit of every closing deal (recomputed from the new open
  price at the deal's own close price and conversion rate); an open position's floating profit follows by itself;
- close price (closed positions): the last closing deal's price and profit;
- commission: the position's total; the difference goes on its opening deal's commission (never below zero).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from crm.core.actors import user_or_none
from crm.core.services import record_activity
from crm.trading import formulas, selectors
from crm.trading.exceptions import InvalidCorrection
from crm.trading.models import Deal, Position, PositionCorrection
from crm.trading.services.execution import lock_account
from crm.wallets import services as wallet_services
from crm.wallets.models import JournalEntry, Wallet

ZERO = Decimal(0)
Field = PositionCorrection.Field


@transaction.atomic
def correct_position(position: Position, *, field: str, value: Decimal, reason: str, actor: Any) -> PositionCorrection:
    """Set `field` (open_price, close_price or commission) of a position to `value` and redo its money effect."""
    account = lock_account(position.account)
    position = Position.objects.select_for_update().select_related("instrument").get(pk=position.pk)
    reason = reason.strip()
    if not reason:
        raise InvalidCorrection(gettext("Say why."), fields={"reason": [gettext("Required.")]})
    before = _current(position, field)
    _check(position, field, value)
    correction = PositionCorrection.objects.create(
        position=position, field=field, before=before, after=value, reason=reason, created_by=user_or_none(actor)
    )
    deals = list(position.deals.select_for_update().order_by("created_at", "pk"))
    opening = next((deal for deal in deals if deal.entry == Deal.Entry.IN), None)
    closing = [deal for deal in deals if deal.entry == Deal.Entry.OUT]
    quantum = account.currency.quantum
    change = ZERO
    if field == Field.OPEN_PRICE:
        old_open = position.open_price
        position.open_price = value
        if opening is not None:
            opening.price = value
            opening.save(update_fields=["price"])
        for deal in closing:
            profit = _reprice(position, deal, open_price=value, close_price=deal.price, old_open=old_open)
            change += _redo(correction, account, deal, "profit", profit.quantize(quantum, ROUND_HALF_EVEN))
    elif field == Field.CLOSE_PRICE:
        deal = closing[-1]
        profit = _reprice(position, deal, open_price=position.open_price, close_price=value, old_open=None)
        deal.price = value
        change += _redo(correction, account, deal, "profit", profit.quantize(quantum, ROUND_HALF_EVEN))
        position.close_price = value
    elif opening is not None:
        new_commission = opening.commission + value - position.commission
        change += _redo(correction, account, opening, "commission", new_commission)
    position.profit = sum((deal.profit for deal in closing), ZERO)
    position.commission = sum((deal.commission for deal in deals), ZERO)
    position.save(update_fields=["open_price", "close_price", "profit", "commission", "updated_at"])
    correction.balance_change = change
    correction.save(update_fields=["balance_change"])
    record_activity(
        actor=actor,
        action="trading.position_corrected",
        target=position,
        data={"field": field, "before": str(before), "after": str(value), "reason": reason, "balance": str(change)},
    )
    return correction


def _current(position: Position, field: str) -> Decimal:
    if field == Field.OPEN_PRICE:
        return position.open_price
    if field == Field.CLOSE_PRICE:
        return position.close_price or ZERO
    if field == Field.COMMISSION:
        return position.commission
    raise InvalidCorrection(gettext("Unknown field."), fields={"field": [gettext("Not a correctable field.")]})


def _check(position: Position, field: str, value: Decimal) -> None:
    if position.adapter_id is not None:  # its money lives on the outside platform, not in our ledger
        raise InvalidCorrection(
            gettext("Position #%(id)s lives on an outside platform; correct it there.") % {"id": position.pk},
            fields={"position": [gettext("On an outside platform.")]},
        )
    if field in (Field.OPEN_PRICE, Field.CLOSE_PRICE) and value <= 0:
        raise InvalidCorrection(gettext("A price must be positive."), fields={"value": [gettext("Must be over 0.")]})
    if field == Field.CLOSE_PRICE and position.status != Position.Status.CLOSED:
        raise InvalidCorrection(
            gettext("Only a closed position has a close price."), fields={"field": [gettext("The position is open.")]}
        )
    if field == Field.COMMISSION:
        opening_commission = position.deals.filter(entry=Deal.Entry.IN).values_list("commission", flat=True).first()
        if opening_commission is None or value < position.commission - opening_commission or value < 0:
            raise InvalidCorrection(
                gettext("The commission cannot go under what the closing deals charged (%(floor)s).")
                % {"floor": position.commission - (opening_commission or ZERO)},
                fields={"value": [gettext("Too low.")]},
            )
    if _current(position, field) == value:
        raise InvalidCorrection(gettext("That is the current value."), fields={"value": [gettext("Unchanged.")]})


def _reprice(
    position: Position, deal: Deal, *, open_price: Decimal, close_price: Decimal, old_open: Decimal | None
) -> Decimal:
    """A closing deal's profit at other prices, in the account currency at the rate the deal was settled at."""
    instrument = position.instrument

    def raw(open_at: Decimal, close_at: Decimal) -> Decimal:
        return formulas.profit(
            formulas.CalcMode(instrument.profit_calc_mode),
            side=formulas.Side(position.side),
            lots=deal.lots,
            contract_size=instrument.contract_size,
            open_price=open_at,
            close_price=close_at,
            tick_price=instrument.tick_value,
            tick_size=instrument.tick_size,
        )

    settled = raw(old_open if old_open is not None else position.open_price, deal.price)
    rate = deal.profit / settled if settled else Decimal(1)
    if not settled and instrument.profit_currency != position.account.currency_id:
        # the deal made nothing, so its rate is unknown: today's
        rate = selectors.Rates.load().rate(instrument.profit_currency, position.account.currency_id)
    return raw(open_price, close_price) * rate


def _redo(correction: PositionCorrection, account: Wallet, deal: Deal, what: str, amount: Decimal) -> Decimal:
    """Reverse the deal's current `what` entry and post `amount` (profit: + to the client; commission: charged);
    returns the change on the account's balance. The deal keeps the corrected amount, no compensation left."""
    prefix = f"trading:correction:{correction.pk}:deal:{deal.pk}:{what}"
    locked = {account.pk: account}
    change = ZERO
    current = _current_entry(deal, what)
    if current is not None:
        legs = [(posting.wallet, -posting.amount) for posting in current.postings.select_related("wallet")]
        wallet_services.post_entry(
            idempotency_key=f"{prefix}:reverse",
            postings=legs,
            kind=current.kind,
            description=f"Correction #{correction.pk}: {what} of deal #{deal.pk} reversed",
            reverses=current,
            locked=locked,
        )
        change -= sum((leg.amount for leg in current.postings.all() if leg.wallet_id == account.pk), ZERO)
    if what == "profit":
        counterparty = wallet_services.system_account(Wallet.SystemCode.TRADING, account.currency_id)
        on_account = amount
        kind = "TRADING_PROFIT"
    else:
        counterparty = wallet_services.system_account(Wallet.SystemCode.FEE_INCOME, account.currency_id)
        on_account = -amount
        kind = "TRADING_COMMISSION"
    if on_account:
        wallet_services.post_entry(
            idempotency_key=f"{prefix}:repost",
            postings=[(account, on_account), (counterparty, -on_account)],
            kind=kind,
            description=f"Correction #{correction.pk}: {what} of deal #{deal.pk}",
            locked=locked,
        )
        change += on_account
    setattr(deal, what, amount)
    deal.compensation = ZERO
    deal.save(update_fields=[what, "price", "compensation"])
    return change


def _current_entry(deal: Deal, what: str) -> JournalEntry | None:
    """The entry that holds the deal's `what` now: its own, or the re-post of the latest correction of it."""
    entry = JournalEntry.objects.filter(idempotency_key=f"trading:deal:{deal.pk}:{what}").first()
    while entry is not None:
        reversal = JournalEntry.objects.filter(reverses=entry).first()
        if reversal is None:
            return entry
        entry = JournalEntry.objects.filter(
            idempotency_key=reversal.idempotency_key.removesuffix(":reverse") + ":repost"
        ).first()
    return None
