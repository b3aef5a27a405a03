"""The built-in platform behind the adapter interface: thin calls into the trading and wallets services.

Account ids are wallet numbers, user ids client ids, group ids account group ids. Transfers go through the same
service as seed 001's back-office transfers (`crm.trading.services.transfers`), acting as `actor` (a staff
member: the accounts are those they may see, and four eyes holds: another actor confirms a withdrawal); a
transfer is a wallets transaction and `deduplication_id` its request key, so the same key twice moves money once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm.customers.models import Customer
from crm.trading.exceptions import TradingNotAllowed
from crm.trading.models import Deal, Instrument, Order, PlatformAdapter, Position
from crm.trading.platforms.base import (
    Balance,
    DealPage,
    OrderRequest,
    PlacedOrder,
    PlatformAccount,
    PlatformDeal,
    PlatformOrder,
    TraderSession,
    Transfer,
)
from crm.trading.services import transfers
from crm.trading.services.closing import close_position
from crm.trading.services.execution import place_order
from crm.wallets import services as wallet_services
from crm.wallets.models import AccountGroup, Transaction, Wallet

TRADING_TYPES = (Wallet.Type.TRADE, Wallet.Type.DEMO)
S = Transaction.Status
STATUSES = {
    S.PENDING: "Pending", S.APPROVED: "Approved", S.REJECTED: "Rejected", S.REFUNDED: "Refunded",
    S.COMPLETED: "Completed", S.FAILED: "Failed", S.CANCELLED: "Cancelled", S.CHARGED_BACK: "ChargedBack",
}  # fmt: skip


def _transfer(txn: Transaction) -> Transfer:
    kind = "Deposit" if txn.type == Transaction.Type.DEPOSIT else "Withdrawal"
    return Transfer(
        transfer_id=str(txn.pk),
        deduplication_id=txn.request_key,
        currency=txn.currency_id,
        kind=kind,
        status=STATUSES[S(txn.status)],
        amount=txn.amount,
    )


def _deal(deal: Deal, account: Wallet) -> PlatformDeal:
    return PlatformDeal(
        deal_id=str(deal.pk),
        account_id=account.number,
        symbol=deal.instrument.symbol,
        position_id=str(deal.position_id),
        order_id=str(deal.order_id or ""),
        side=deal.side,
        entry=deal.entry,
        lots=deal.lots,
        price=deal.price,
        time=deal.created_at,
        profit=deal.profit,
        commission=deal.commission,
    )


class BuiltinPlatform:
    """The platform of this product itself; `actor` is who the back office acts as (None: the system)."""

    def __init__(self, adapter: PlatformAdapter | None = None, *, actor: Any = None) -> None:
        self.adapter = adapter
        self.actor = actor

    def _wallet(self, account_id: str) -> Wallet:
        wallet = Wallet.objects.select_related("currency", "customer").filter(number=account_id).first()
        if wallet is None or wallet.type not in TRADING_TYPES:
            raise TradingNotAllowed(
                _("There is no trading account %(number)s.") % {"number": account_id},
                fields={"account": [_("Not a trading account.")]},
            )
        return wallet

    def open_account(self, *, user_id: str, name: str, group_id: str, account_type: str = "Hedging") -> str:
        customer = Customer.objects.get(pk=int(user_id))
        group = AccountGroup.objects.select_related("currency").get(pk=int(group_id))
        wallet = wallet_services.create_wallet(
            customer, currency=group.currency, actor=self.actor, is_demo=group.is_demo, group=group, caption=name
        )
        return wallet.number

    def account(self, *, user_id: str, account_id: str) -> PlatformAccount:
        wallet = self._wallet(account_id)
        if str(wallet.customer_id) != user_id:
            raise TradingNotAllowed(_("There is no such account."), fields={"account": [_("Not found.")]})
        balance = Balance(currency=wallet.currency_id, total=wallet.balance, locked=wallet.on_hold)
        return PlatformAccount(
            account_id=wallet.number, name=wallet.caption or wallet.number, account_type="Hedging", balances=(balance,)
        )

    def deposit(self, account_id: str, *, amount: Decimal, currency: str, deduplication_id: str) -> Transfer:
        txn = transfers.deposit(
            caller=self.actor, account_id=account_id, asset=currency, amount=amount, request_key=deduplication_id
        )
        return _transfer(txn)

    def withdraw(self, account_id: str, *, amount: Decimal, currency: str, deduplication_id: str) -> Transfer:
        txn = transfers.withdraw(
            caller=self.actor, account_id=account_id, asset=currency, amount=amount, request_key=deduplication_id
        )
        return _transfer(txn)

    def confirm_withdrawal(self, account_id: str, *, transfer_id: str) -> None:
        transfers.confirm_withdrawal(caller=self.actor, account_id=account_id, transfer_id=transfer_id)

    def cancel_withdrawal(self, account_id: str, *, transfer_id: str) -> None:
        transfers.cancel_withdrawal(caller=self.actor, account_id=account_id, transfer_id=transfer_id)

    def transfer(self, transfer_id: str) -> Transfer:
        return _transfer(Transaction.objects.get(pk=int(transfer_id)))

    def place_order(self, session: TraderSession, order: OrderRequest) -> PlacedOrder:
        instrument = Instrument.objects.get(symbol=order.symbol)
        placed = place_order(
            self._wallet(session.account_id),
            instrument=instrument,
            side=order.side,
            lots=order.lots,
            order_type=order.order_type,
            price=order.price,
            stop_loss=order.stop_loss,
            take_profit=order.take_profit,
            actor=self.actor,
        )
        return PlacedOrder(order_id=str(placed.pk), status=placed.status)

    def close_position(self, session: TraderSession, position_id: str, *, lots: Decimal) -> None:
        position = Position.objects.get(account=self._wallet(session.account_id), pk=int(position_id))
        close_position(position, lots=lots, actor=self.actor)

    def _deals(self, account: Wallet) -> QuerySet[Deal]:
        return Deal.objects.filter(account=account).select_related("instrument").order_by("created_at", "pk")

    def order(self, session: TraderSession, order_id: str) -> PlatformOrder:
        account = self._wallet(session.account_id)
        found = Order.objects.select_related("instrument").get(account=account, pk=int(order_id))
        return PlatformOrder(
            order_id=str(found.pk),
            symbol=found.instrument.symbol,
            side=found.side,
            order_type=found.type,
            status=found.status,
            lots=found.lots,
            price=found.price,
            fill_price=found.fill_price,
        )

    def order_deals(self, session: TraderSession, order_id: str) -> list[PlatformDeal]:
        account = self._wallet(session.account_id)
        order = Order.objects.filter(account=account, pk=int(order_id)).first()
        return [_deal(d, account) for d in self._deals(account).filter(order=order)] if order else []

    def position_deals(self, session: TraderSession, position_id: str) -> list[PlatformDeal]:
        account = self._wallet(session.account_id)
        return [_deal(d, account) for d in self._deals(account).filter(position_id=int(position_id))]

    def deals(self, session: TraderSession, *, since: dt.datetime | None, limit: int = 500) -> DealPage:
        account = self._wallet(session.account_id)
        rows = self._deals(account)
        if since is not None:
            rows = rows.filter(created_at__gte=since)
        found = [_deal(d, account) for d in rows[: limit + 1]]
        return DealPage(deals=found[:limit], has_more=len(found) > limit)
