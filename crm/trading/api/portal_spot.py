"""Spot trading in the portal and back-office APIs: a spot order's input, its fill, and an account's asset balances.

A spot order (market type SPOT) gives the base amount or the quote amount to spend (buy) or receive (sell); its
fill says what was exchanged and the fee, in the quote asset. An account's balances are its own currency and every
asset it holds from spot trading (each a wallet of the ledger).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.trading.models import Instrument, Order, Side, SpotFill
from crm.wallets.models import Wallet

TINY = Decimal("0.00000001")


class SpotFillSerializer(serializers.ModelSerializer[SpotFill]):
    """What a spot order exchanged: base for quote at `price`, and the fee (quote asset)."""

    base_currency = serializers.CharField(source="base_currency_id", read_only=True)
    quote_currency = serializers.CharField(source="quote_currency_id", read_only=True)

    class Meta:
        model = SpotFill
        fields = ["id", "base_currency", "quote_currency", "base_amount", "quote_amount", "price", "fee", "created_at"]
        read_only_fields = fields


SPOT_FILL_FIELD = SpotFillSerializer(allow_null=True, help_text="A spot order's fill; null for other orders.")


def spot_fill_of(order: Order) -> dict[str, Any] | None:
    """The order's fill (selected with it), or None: a CFD order, or a spot order not filled yet."""
    try:
        fill = order.spot_fill
    except ObjectDoesNotExist:
        return None
    return dict(SpotFillSerializer(fill).data)


class SpotOrderCreateSerializer(serializers.Serializer[Any]):
    """A spot order: the base amount, or the quote amount to spend (buy) or receive (sell)."""

    symbol = serializers.SlugRelatedField(
        slug_field="symbol", queryset=Instrument.objects.enabled().filter(market_type=Instrument.MarketType.SPOT)
    )
    side = serializers.ChoiceField(choices=Side.choices)
    type = serializers.ChoiceField(choices=Order.Type.choices, default=Order.Type.MARKET)
    base_amount = serializers.DecimalField(
        max_digits=28, decimal_places=8, min_value=TINY, required=False, allow_null=True, default=None
    )
    quote_amount = serializers.DecimalField(
        max_digits=28, decimal_places=8, min_value=TINY, required=False, allow_null=True, default=None
    )
    price = serializers.DecimalField(
        max_digits=24, decimal_places=10, min_value=TINY, required=False, allow_null=True, default=None,
        help_text="Limit or stop price.",
    )  # fmt: skip
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs["base_amount"] is None) == (attrs["quote_amount"] is None):
            raise serializers.ValidationError({"base_amount": [_("Give either base_amount or quote_amount.")]})
        return attrs


class AssetBalanceSerializer(serializers.ModelSerializer[Wallet]):
    """How much of one asset the account holds (its own currency, or an asset bought on a spot market)."""

    asset = serializers.CharField(source="currency_id", read_only=True)
    wallet = serializers.CharField(source="number", read_only=True)

    class Meta:
        model = Wallet
        fields = ["asset", "balance", "on_hold", "wallet"]
        read_only_fields = fields


def asset_wallets(account: Wallet) -> QuerySet[Wallet]:
    """The account's wallet and its spot holdings' wallets, the account's own currency first: one query."""
    return Wallet.objects.filter(Q(pk=account.pk) | Q(spot_holding__account=account)).order_by("pk")
