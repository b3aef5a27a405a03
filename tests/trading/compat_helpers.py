"""Fixtures of the 001 trader API tests: a client with a funded trading account, logged in with a JWT."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rest_framework.test import APIClient

from crm.customers.models import Customer
from crm.trading.models import Instrument
from crm.wallets.models import Wallet
from tests.customers.factories import PortalCustomerFactory, bearer
from tests.trading.factories import InstrumentFactory, TradingAccountFactory, quote
from tests.wallets.helpers import fund

# Top-level keys of the seed's examples (001_e14eb7e540426e65.txt), compared with the answers.
ORDER_V4_KEYS = {
    "marketId", "marketType", "marketDisplayName", "marketFullName", "orderId", "timeInForce", "status", "source",
    "reason", "side", "orderType", "requestedAmount", "remainingAmount", "requestedPrice", "executionPrice",
    "createdAt", "updatedAt", "cancellationDate", "commissionAssetId", "commissionAmount", "leverage",
    "rejectDetails", "fillFactor",
}  # fmt: skip
ORDER_V3_KEYS = {
    "marketId", "marketDisplayName", "orderId", "orderType", "side", "status", "source", "timeInForce",
    "commission", "requestedAmount", "remainingAmount", "requestedPrice", "executionPrice", "createdAt",
    "updatedAt", "rejectDetails", "cancellationDate", "fillFactor",
}  # fmt: skip
STOP_ORDER_V3_KEYS = {
    "marketId", "marketDisplayName", "orderId", "orderType", "side", "requestedPrice", "activationPrice",
    "requestedAmount", "timeInForce", "status", "createdAt", "updatedAt", "cancellationDate",
}  # fmt: skip
EXECUTION_KEYS = {
    "positionId", "orderId", "side", "reason", "createdAt", "executionId", "baseAmount", "executionPrice",
    "commissionAmountInRAT", "commissions",
}  # fmt: skip
CLOSED_POSITION_KEYS = {
    "marketId", "marketFullName", "marketDisplayName", "marketType", "orderId", "orderType", "timeInForce", "side",
    "positionCloseLotAmount", "reason", "realizedPnlInRAT", "closedAt", "positionId", "openPrice", "closePrice",
    "positionPriceInRAT", "rateToRAT", "openedAt",
}  # fmt: skip
MARKET_V4_KEYS = {
    "marketId", "displayName", "fullName", "baseAssetId", "quoteAssetId", "minAmount", "maxBaseAmount",
    "priceDeviation", "priceScale", "amountScale", "type", "subtype", "swapSettings", "lotSize", "minLotAmount",
    "maxLotAmount", "tickSize", "lotStep", "slippageRate", "maxLeverage", "isConstLeverage", "calendar",
    "fundingStartTime", "fundingIntervalInHours",
}  # fmt: skip


@dataclass
class Trader:
    client: APIClient
    customer: Customer
    account: Wallet
    eurusd: Instrument

    def headers(self, account: Wallet | None = None) -> dict[str, str]:
        return {"HTTP_ACCOUNTID": (account or self.account).number}

    def post(self, url: str, body: Any = None, *, account: Wallet | None = None) -> Any:
        return self.client.post(url, body if body is not None else {}, format="json", **self.headers(account))

    def get(self, url: str, *, account: Wallet | None = None) -> Any:
        return self.client.get(url, **self.headers(account))


def make_trader(balance: str = "10000.00") -> Trader:
    eurusd = InstrumentFactory(symbol="EURUSD", description="Euro vs US dollar")
    quote(eurusd, "1.10000", "1.10020")
    customer = PortalCustomerFactory()
    account = fund(TradingAccountFactory(customer=customer), Decimal(balance))
    client = APIClient()
    bearer(client, customer)
    return Trader(client=client, customer=customer, account=account, eurusd=eurusd)


def other_account() -> Wallet:
    """Another client's funded trading account."""
    return fund(TradingAccountFactory(customer=PortalCustomerFactory()), "10000.00")
