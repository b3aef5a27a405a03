"""001 front office v3 on spot markets (`marketType` SPOT): the pre-trade figures of `POST /v3/order-data` and
the field names of refusals, over crm/trading/services/spot.py.

`baseAmount` is the base asset the order exchanges: the requested one, or the most the market's lot grid allows
for `requestedQuoteAmount` at the price. `quoteAmount` is its value at the price (rounded up for a buy, down for a
sell, in the quote asset's decimals), `commissionAmount` the fee in the quote asset, and `total` what the client
pays (buy: quote + fee) or receives (sell: quote - fee). The price is `requestedPrice` for Limit and Stop orders,
else where a market order fills now (ask or bid with the group's markup).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions

from crm.core.exceptions import DomainError
from crm.trading import services
from crm.trading.compat import enums, pretrade
from crm.trading.compat.common import text
from crm.trading.models import Instrument
from crm.wallets.models import Wallet

# Our services' field names -> the seed's, in the 001 bodies.
ORDER_FIELDS = {
    "base_amount": "order.requestedAmount",
    "quote_amount": "order.requestedAmount",
    "lots": "order.requestedAmount",
    "price": "order.requestedPrice",
    "expires_at": "order.cancellationDate",
    "instrument": "order.marketId",
    "stop_loss": "order.stopLoss",
}
ORDER_DATA_FIELDS = {
    **ORDER_FIELDS,
    "base_amount": "order.requestedBaseAmount",
    "quote_amount": "order.requestedQuoteAmount",
}


@contextmanager
def seed_fields(names: dict[str, str]) -> Iterator[None]:
    """Refusals of the services with their fields named as in the seed's body."""
    try:
        yield
    except DomainError as refusal:
        refusal.fields = {names.get(key, key): value for key, value in refusal.fields.items()}
        raise


def order_data(account: Wallet, instrument: Instrument, values: dict[str, Any]) -> dict[str, Any]:
    """The figures of a spot order before it is placed (nothing is written)."""
    side = enums.SIDES[values["side"]]
    requested = None if values["orderType"] == enums.OrderType.MARKET else values.get("requestedPrice")
    price = pretrade.entry_price(account, instrument, side=side, requested=requested)
    base: Decimal | None = values.get("requestedBaseAmount")
    quote: Decimal | None = values.get("requestedQuoteAmount")
    for name, value in (("order.requestedBaseAmount", base), ("order.requestedQuoteAmount", quote)):
        if value is not None and value <= 0:
            raise exceptions.ValidationError({name: [_("Must be above zero.")]})
    with seed_fields(ORDER_DATA_FIELDS):
        figures = services.spot_order_figures(
            account, instrument, side=side, price=price, base_amount=base, quote_amount=quote
        )
    return {
        "baseAmount": text(figures.base_amount),
        "quoteAmount": text(figures.quote_amount),
        "commissionAmount": text(figures.fee),
        "total": text(figures.total),
    }
