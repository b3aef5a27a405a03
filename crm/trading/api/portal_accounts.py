"""Portal trading accounts: the client's trading accounts, the instruments each trades (seed 000 "Get user
instruments information") and each one's watchlist (seed 000 Watchlists)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.api.permissions import IsPortalCustomer, portal_customer
from crm.trading import selectors, services
from crm.trading.api.portal import PortalOrderSerializer
from crm.trading.api.portal_spot import AssetBalanceSerializer, SpotOrderCreateSerializer, asset_wallets
from crm.trading.api.serializers import sessions_field
from crm.trading.models import Instrument, Order
from crm.wallets.api.common import ERRORS, validated
from crm.wallets.models import Wallet

TRADING_TYPES = (Wallet.Type.TRADE, Wallet.Type.DEMO)


class PortalTradingAccountSerializer(serializers.ModelSerializer[Wallet]):
    """One of the client's trading accounts with its figures (written by the engine)."""

    currency = serializers.CharField(source="currency_id", read_only=True)
    platform = serializers.CharField(source="platform.name", read_only=True, allow_null=True, default=None)
    group = serializers.CharField(source="group.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Wallet
        fields = [
            "id", "number", "caption", "currency", "platform", "group", "leverage", "is_demo", "balance", "credit",
            "equity", "margin", "free_margin", "margin_level",
        ]  # fmt: skip
        read_only_fields = fields


class InstrumentInfoSerializer(serializers.Serializer[Any]):
    """An instrument as the account's group trades it."""

    symbol = serializers.CharField()
    description = serializers.CharField(source="instrument.description")
    category = serializers.ChoiceField(source="instrument.category", choices=Instrument.Category.choices)
    market_type = serializers.ChoiceField(source="instrument.market_type", choices=Instrument.MarketType.choices)
    margin_currency = serializers.CharField(source="instrument.margin_currency")
    profit_currency = serializers.CharField(source="instrument.profit_currency")
    digits = serializers.IntegerField(source="instrument.digits")
    contract_size = serializers.DecimalField(source="instrument.contract_size", max_digits=20, decimal_places=8)
    min_lot = serializers.DecimalField(source="instrument.min_lot", max_digits=20, decimal_places=8)
    max_lot = serializers.DecimalField(source="instrument.max_lot", max_digits=20, decimal_places=8)
    lot_step = serializers.DecimalField(source="instrument.lot_step", max_digits=20, decimal_places=8)
    max_leverage = serializers.IntegerField(source="instrument.max_leverage", allow_null=True)
    swap_long = serializers.DecimalField(source="instrument.swap_long", max_digits=12, decimal_places=6)
    swap_short = serializers.DecimalField(source="instrument.swap_short", max_digits=12, decimal_places=6)
    sessions = sessions_field(source="instrument.sessions")
    markup_points = serializers.IntegerField(help_text="Points added to the ask and taken from the bid.")
    commission_per_lot = serializers.DecimalField(
        max_digits=24, decimal_places=10, help_text="Per side, in the account currency."
    )
    bid = serializers.DecimalField(max_digits=24, decimal_places=10, allow_null=True, help_text="With the markup.")
    ask = serializers.DecimalField(max_digits=24, decimal_places=10, allow_null=True, help_text="With the markup.")


class WatchlistSerializer(serializers.Serializer[Any]):
    account_id = serializers.IntegerField()
    symbols = serializers.ListField(child=serializers.CharField(), help_text="In the client's order.")


class WatchlistWriteSerializer(serializers.Serializer[Any]):
    symbols = serializers.ListField(
        child=serializers.CharField(max_length=32), max_length=100, help_text="The whole list, in order; [] clears it."
    )


class WatchlistSymbolSerializer(serializers.Serializer[Any]):
    symbol = serializers.CharField(max_length=32)


@extend_schema_view(
    list=extend_schema(summary="List my trading accounts"),
    retrieve=extend_schema(summary="Get one of my trading accounts"),
)
@extend_schema(tags=["portal: trading"])
class PortalTradingAccountViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Wallet]
):  # fmt: skip
    """The client's trading accounts, the instruments each trades and each one's watchlist."""

    serializer_class = PortalTradingAccountSerializer
    permission_classes = [IsPortalCustomer]
    queryset = Wallet.objects.none()

    def get_queryset(self) -> QuerySet[Wallet]:
        rows = Wallet.objects.of_customer(portal_customer(self.request)).filter(type__in=TRADING_TYPES)
        return rows.select_related("platform", "group").order_by("pk")

    @extend_schema(
        summary="Get the instruments I trade on this account",
        description="The enabled instruments the account's group trades, with the group's markup and commission, "
        "the sessions, and the last quote with the markup.",
        responses={200: InstrumentInfoSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def instruments(self, request: Request, pk: str | None = None) -> Response:
        rows = selectors.tradable_instruments(self.get_object())
        return Response(InstrumentInfoSerializer(rows, many=True).data)

    @extend_schema(
        methods=["GET"], summary="Get this account's watchlist", responses={200: WatchlistSerializer, **ERRORS}
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace this account's watchlist",
        description="The symbols in their new order: add, remove and reorder in one call; `[]` clears it. Each "
        "symbol must be tradable on the account (400 `invalid_watchlist` names the others).",
        request=WatchlistWriteSerializer,
        responses={200: WatchlistSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "put"], filter_backends=[])
    def watchlist(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        if request.method == "PUT":
            values = validated(WatchlistWriteSerializer, request.data)
            symbols = services.set_watchlist(account, symbols=values["symbols"])
        else:
            symbols = services.watchlist(account)
        return Response({"account_id": account.pk, "symbols": symbols})

    @extend_schema(
        summary="Add a symbol to this account's watchlist",
        description="Appended at the end; a symbol already there stays where it is.",
        request=WatchlistSymbolSerializer,
        responses={200: WatchlistSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="watchlist/add", filter_backends=[])
    def watchlist_add(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        values = validated(WatchlistSymbolSerializer, request.data)
        symbols = services.add_to_watchlist(account, symbol=values["symbol"])
        return Response({"account_id": account.pk, "symbols": symbols})

    @extend_schema(
        summary="Remove a symbol from this account's watchlist",
        description="400 `invalid_watchlist` when the symbol is not in it.",
        request=WatchlistSymbolSerializer,
        responses={200: WatchlistSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="watchlist/remove", filter_backends=[])
    def watchlist_remove(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        values = validated(WatchlistSymbolSerializer, request.data)
        symbols = services.remove_from_watchlist(account, symbol=values["symbol"])
        return Response({"account_id": account.pk, "symbols": symbols})

    @extend_schema(
        summary="Get this account's asset balances",
        description="Its own currency first, then every asset it holds from spot trading (each a wallet of the "
        "ledger).",
        responses={200: AssetBalanceSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def balances(self, request: Request, pk: str | None = None) -> Response:
        return Response(AssetBalanceSerializer(asset_wallets(self.get_object()), many=True).data)

    @extend_schema(
        summary="Place a spot order on this account",
        description="On a spot market, by base amount or by the quote amount to spend (buy) or receive (sell). A "
        "market order fills at once at the ask (buy) or bid (sell) with the group's markup, or is refused (400 "
        "`insufficient_assets`, `market_closed`, `in_downtime`, `invalid_volume`, `invalid_price`, `no_quote`); a "
        "limit or stop order waits for its price.",
        request=SpotOrderCreateSerializer,
        responses={201: PortalOrderSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="spot-orders", filter_backends=[])
    def spot_orders(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        values = validated(SpotOrderCreateSerializer, request.data)
        order = services.place_spot_order(
            account,
            instrument=values["symbol"],
            side=values["side"],
            base_amount=values["base_amount"],
            quote_amount=values["quote_amount"],
            order_type=values["type"],
            price=values["price"],
            expires_at=values["expires_at"],
            actor=request.user,
        )
        rows = Order.objects.select_related("account", "instrument", "instrument__quote", "spot_fill")
        return Response(PortalOrderSerializer(rows.get(pk=order.pk)).data, status=201)
