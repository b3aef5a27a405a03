"""The history server's read models (seed 001 `/api/...`), each one SQL query over the clients in the caller's scope.

Conventions (the seed shows one example value per enum and no definitions):

- A user is a client (`userId` its id), an account one of its wallets or trading accounts (`accountId` the
  number, `accountName` its caption or number), an asset a currency. Demo accounts are left out everywhere.
- The root asset (RAT) is `settings.ROOT_ASSET`; `rateToRootAsset` is the wallets' current rate (a configured
  conversion path or the newest quote); with no rate the `...InRAT` figures are null and totals leave them out.
- Balances: `availableAssetAmount` is the balance the client may spend, `lockedAssetAmount` the money on hold
  (pending withdrawals), `totalAssetAmount` both.
- Executions (trades) are the engine's deals: `baseAmount` lots x contract size, `quoteAmount` that x price,
  traded volume in RAT the quote amount at the quote currency's rate; commissions are in the account currency.
  Markup revenue per execution is the group's markup (points of the market's last digit) x the base amount.
- Active accounts are live accounts with at least one execution among the filtered ones.
- Orders: `filledAmount`/`remainingAmount` are base amounts (an order fills whole); `hedge` is 1, every account
  of the built-in platform being a hedging account; `orderStatus` `Started` (a working limit order),
  `WaitingForActivation` (a stop order), `Filled`, `Cancelled`, `Rejected`, `Expired`.
- External orders and unsolicited trades are the orders routed to and the fills received from a liquidity
  provider: the built-in platform is the counterparty of every order (B-book), so these lists are empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf, Power

from crm.customers.models import Customer
from crm.reports.history.numbers import AMOUNT_FIELD, rate_of
from crm.reports.history.query import Field, Kind
from crm.reports.scope import Scope
from crm.trading.compat import enums
from crm.trading.compat.backoffice.transfers import STATUSES as TRANSFER_STATUSES
from crm.trading.compat.backoffice.transfers import TYPES as TRANSFER_TYPES
from crm.trading.models import Deal, GroupInstrument, Instrument, Order
from crm.wallets.models import Transaction, Wallet

ZERO = Value(Decimal(0), output_field=AMOUNT_FIELD)
Rates = dict[str, Decimal | None]
# Output keys holding ids: numbers in the database, text in the seed.
ID_KEYS = {"userId", "orderId", "executionId", "transferId"}

SIDES = {enums.Side.BUY.value: "buy", enums.Side.SELL.value: "sell"}
ORDER_TYPES = {seed.value: engine.value for engine, seed in enums.ORDER_TYPE_OF.items()}
TIME_IN_FORCE = {enums.TimeInForce.GTC.value: Order.TimeInForce.GTC.value, enums.TimeInForce.GTD.value: "GTD"}
MARKET_TYPES = {seed.value: engine.value for engine, seed in enums.MARKET_TYPE_OF.items()}
CLIENT_STATUSES = {
    "Active": Customer.Status.ACTIVE,
    "Inactive": Customer.Status.INACTIVE,
    "Banned": Customer.Status.BANNED,
}
TRANSFER_TYPE_OF = {seed: engine for engine, seed in TRANSFER_TYPES.items()}
TRANSFER_STATUS_OF = {seed: engine for engine, seed in TRANSFER_STATUSES.items()}


def _case(path: str, mapping: dict[str, Any], default: str | None = None) -> Case:
    """SQL: the seed's value (a key of `mapping`) of the column at `path`."""
    whens = [When(**{path: engine}, then=Value(seed)) for seed, engine in mapping.items()]
    return Case(*whens, default=Value(default), output_field=CharField())


def order_status_case(prefix: str = "") -> Case:
    pending = Order.Status.PENDING
    return Case(
        When(**{f"{prefix}status": pending, f"{prefix}type": Order.Type.STOP}, then=Value("WaitingForActivation")),
        When(**{f"{prefix}status": pending}, then=Value("Started")),
        When(**{f"{prefix}status": Order.Status.FILLED}, then=Value("Filled")),
        When(**{f"{prefix}status": Order.Status.CANCELLED}, then=Value("Cancelled")),
        When(**{f"{prefix}status": Order.Status.REJECTED}, then=Value("Rejected")),
        When(**{f"{prefix}status": Order.Status.EXPIRED}, then=Value("Expired")),
        output_field=CharField(),
    )


def _money(expression: Any) -> ExpressionWrapper[Any]:
    return ExpressionWrapper(expression, output_field=AMOUNT_FIELD)


def scoped(queryset: QuerySet[Any], scope: Scope, prefix: str) -> QuerySet[Any]:
    """Rows of clients in `scope` (`prefix` reaches the client from a row): the clients the back office's own
    reports and dashboard count for the same staff member (`crm.reports.scope.scope_for`)."""
    return queryset.filter(scope.clients(prefix), **{f"{prefix}isnull": False})


def account_fields(prefix: str) -> dict[str, Field]:
    return {
        "userId": Field(f"{prefix}customer_id", Kind.INTEGER),
        "userEmail": Field(f"{prefix}customer__email", Kind.TEXT),
        "accountId": Field(f"{prefix}number", Kind.TEXT),
        "accountName": Field(f"{prefix}caption", Kind.TEXT),
    }


def account_columns(prefix: str) -> dict[str, Any]:
    return {
        "userId": F(f"{prefix}customer_id"),
        "userEmail": F(f"{prefix}customer__email"),
        "accountId": F(f"{prefix}number"),
        "accountName": Coalesce(NullIf(F(f"{prefix}caption"), Value("")), F(f"{prefix}number")),
    }


def _prefixed(columns: dict[str, Any]) -> dict[str, Any]:
    return {f"h_{key}": value for key, value in columns.items()}


def _columns(queryset: QuerySet[Any], columns: dict[str, Any]) -> QuerySet[Any]:
    """One row per row of `queryset`, its output keys `h_`-prefixed (clear of the model's field names)."""
    rows: QuerySet[Any] = queryset.annotate(**_prefixed(columns)).values(*_prefixed(columns))
    return rows


@dataclass(frozen=True)
class Source:
    """A read model: its filterable fields, its output keys in order, those it sorts by, and its query."""

    fields: dict[str, Field]
    keys: list[str]
    sortable: list[str]
    default_order: list[Any]
    build: Callable[[Scope, Q, Rates], QuerySet[Any]]


def rows_of(source: Source, queryset: QuerySet[Any]) -> list[dict[str, Any]]:
    rows = []
    for values in queryset:
        row = {key: values[f"h_{key}"] for key in source.keys}
        for key in ID_KEYS & row.keys():
            if row[key] is not None:
                row[key] = str(row[key])
        rows.append(row)
    return rows


# Executions (deals) -------------------------------------------------------------------------------------------

DEAL_FIELDS: dict[str, Field] = {
    **account_fields("account__"),
    "assetId": Field("account__currency_id", Kind.TEXT),
    "marketId": Field("instrument__symbol", Kind.TEXT),
    "marketType": Field("instrument__market_type", Kind.ENUM, MARKET_TYPES),
    "side": Field("side", Kind.ENUM, SIDES),
    "orderId": Field("order_id", Kind.INTEGER),
    "executionId": Field("pk", Kind.INTEGER),
    "createdAt": Field("created_at", Kind.DATETIME),
}


def deals(scope: Scope, where: Q) -> QuerySet[Deal]:
    return scoped(Deal.objects.filter(account__is_demo=False), scope, "account__customer__").filter(where)


def base_amount(prefix: str, lots: str = "lots") -> ExpressionWrapper[Any]:
    return _money(F(lots) * F(f"{prefix}instrument__contract_size"))


def volume_in_rat(rates: Rates) -> ExpressionWrapper[Any]:
    """A deal's quote amount in the root asset."""
    return _money(base_amount("") * F("price") * rate_of("instrument__profit_currency", rates))


def commission_in_rat(rates: Rates) -> ExpressionWrapper[Any]:
    return _money(F("commission") * rate_of("account__currency_id", rates))


def markup_in_rat(rates: Rates) -> ExpressionWrapper[Any]:
    """The markup the client paid on a deal: the group's markup points (per market or for the group) in price."""
    per_market = GroupInstrument.objects.filter(
        settings__group_id=OuterRef("account__group_id"), instrument_id=OuterRef("instrument_id")
    ).values("markup_points")[:1]
    points = Coalesce(
        Subquery(per_market, output_field=IntegerField()),
        F("account__group__trading_settings__markup_points"),
        Value(0),
        output_field=IntegerField(),
    )
    tick = Power(Value(Decimal(10)), -F("instrument__digits"), output_field=AMOUNT_FIELD)
    return _money(points * tick * base_amount("") * rate_of("instrument__profit_currency", rates))


def trade_rows(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    commission_rate = rate_of("account__currency_id", rates)
    columns = {
        **account_columns("account__"),
        "orderId": F("order_id"),
        "externalOrderId": Value(None, output_field=CharField()),
        "lpOrderId": Value(None, output_field=CharField()),
        "executionId": F("pk"),
        "lpExecutionId": Value(None, output_field=CharField()),
        "marketId": F("instrument__symbol"),
        "marketDisplayName": F("instrument__symbol"),
        "side": _case("side", SIDES),
        "orderType": _case("order__type", ORDER_TYPES, enums.OrderType.MARKET),
        "timeInForce": _case("order__time_in_force", TIME_IN_FORCE, enums.TimeInForce.GTC),
        "baseAmount": base_amount(""),
        "quoteAmount": _money(base_amount("") * F("price")),
        "executionPrice": F("price"),
        "commissionAmount": F("commission"),
        "commissionAssetId": F("account__currency_id"),
        "commissionAssetName": F("account__currency__name"),
        "commissionInRAT": _money(F("commission") * commission_rate),
        "createdAt": F("created_at"),
    }
    return _columns(deals(scope, where), columns)


TRADE_KEYS = [
    "userId", "userEmail", "accountId", "accountName", "orderId", "externalOrderId", "lpOrderId", "executionId",
    "lpExecutionId", "marketId", "marketDisplayName", "side", "orderType", "timeInForce", "baseAmount",
    "quoteAmount", "executionPrice", "commissionAmount", "commissionAssetId", "commissionAssetName",
    "commissionInRAT", "createdAt",
]  # fmt: skip
NEWEST = [F("h_createdAt").desc(), F("h_executionId").desc()]
TRADES = Source(DEAL_FIELDS, TRADE_KEYS, TRADE_KEYS, NEWEST, trade_rows)
UNSOLICITED_KEYS = [key for key in TRADE_KEYS if not key.startswith("commission")]


def no_rows(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    """Nothing is routed to a liquidity provider by the built-in platform (see the module's text)."""
    return trade_rows(scope, where, rates).none()


UNSOLICITED_TRADES = Source(DEAL_FIELDS, UNSOLICITED_KEYS, UNSOLICITED_KEYS, NEWEST, no_rows)


def active_accounts(scope: Scope, where: Q) -> int:
    total: int = deals(scope, where).aggregate(total=Count("account_id", distinct=True))["total"]
    return total


def billing_info(scope: Scope, where: Q, rates: Rates) -> dict[str, Any]:
    spot = Q(instrument__market_type=Instrument.MarketType.SPOT)
    return deals(scope, where).aggregate(
        activeAccounts=Count("account_id", distinct=True),
        tradedVolumeSpotInRAT=Coalesce(Sum(volume_in_rat(rates), filter=spot), ZERO),
        tradedVolumeCfdInRAT=Coalesce(Sum(volume_in_rat(rates), filter=~spot), ZERO),
        tradedVolumeTotalInRAT=Coalesce(Sum(volume_in_rat(rates)), ZERO),
    )


# Commissions ------------------------------------------------------------------------------------------------


def _wallet_total(scope: Scope, **outer: str) -> Subquery:
    """SQL: the balance plus money on hold of the client's live wallets matching `outer` (OuterRef paths)."""
    wallets = scoped(Wallet.objects.filter(is_demo=False), scope, "customer__").filter(
        **{name: OuterRef(path) for name, path in outer.items()}
    )
    total = wallets.order_by().values(*outer).annotate(total=Sum(F("balance") + F("on_hold"))).values("total")
    return Subquery(total, output_field=AMOUNT_FIELD)


def _wallet_total_in_rat(scope: Scope, rates: Rates, **outer: str) -> Subquery:
    wallets = scoped(Wallet.objects.filter(is_demo=False), scope, "customer__").filter(
        **{name: OuterRef(path) for name, path in outer.items()}
    )
    in_rat = _money((F("balance") + F("on_hold")) * rate_of("currency_id", rates))
    total = wallets.order_by().values(*outer).annotate(total=Sum(in_rat)).values("total")
    return Subquery(total, output_field=AMOUNT_FIELD)


def _grouped(
    queryset: QuerySet[Any], groups: dict[str, Any], totals: dict[str, Any], after: dict[str, Any]
) -> QuerySet[Any]:
    rows: QuerySet[Any] = (
        queryset.order_by()
        .values(**_prefixed(groups))
        .annotate(**_prefixed(totals))
        .annotate(**_prefixed(after))
        .values(*_prefixed({**groups, **totals, **after}))
    )
    return rows


def _in_rat(amount_key: str, rate_key: str = "h_rate") -> ExpressionWrapper[Any]:
    return _money(F(f"h_{amount_key}") * F(rate_key))


def commissions_accounts_assets(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    groups = {
        **account_columns("account__"),
        "assetId": F("account__currency_id"),
        "assetName": F("account__currency__name"),
        "totalAssetAmount": _money(F("account__balance") + F("account__on_hold")),
        "rate": rate_of("account__currency_id", rates),
    }
    groups.pop("userEmail")
    totals = {"totalAssetCommission": Coalesce(Sum("commission"), ZERO)}
    after = {
        "totalAssetAmountInRAT": _in_rat("totalAssetAmount"),
        "totalAssetCommissionInRAT": _in_rat("totalAssetCommission"),
    }
    return _grouped(deals(scope, where), groups, totals, after)


def commissions_users_assets(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    groups = {
        "userId": F("account__customer_id"),
        "assetId": F("account__currency_id"),
        "assetName": F("account__currency__name"),
        "rate": rate_of("account__currency_id", rates),
    }
    totals = {"totalAssetCommission": Coalesce(Sum("commission"), ZERO)}
    after = {
        "totalAssetAmount": Coalesce(
            _wallet_total(scope, customer_id="h_userId", currency_id="h_assetId"), ZERO, output_field=AMOUNT_FIELD
        ),
        "totalAssetCommissionInRAT": _in_rat("totalAssetCommission"),
    }
    queryset = _grouped(deals(scope, where), groups, totals, after)
    rows: QuerySet[Any] = queryset.annotate(h_totalAssetAmountInRAT=_in_rat("totalAssetAmount"))
    return rows


def commissions_users(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    groups = {
        "userId": F("account__customer_id"),
        "userEmail": F("account__customer__email"),
        "status": _case("account__customer__status", CLIENT_STATUSES),
    }
    totals = {
        "totalCommissionInRAT": Coalesce(Sum(commission_in_rat(rates)), ZERO),
        "totalTradedVolumeInRAT": Coalesce(Sum(volume_in_rat(rates)), ZERO),
    }
    after = {"totalBalanceInRAT": Coalesce(_wallet_total_in_rat(scope, rates, customer_id="h_userId"), ZERO)}
    return _grouped(deals(scope, where), groups, totals, after)


def commissions_accounts(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    groups = {
        **account_columns("account__"),
        "totalBalanceInRAT": _money(
            (F("account__balance") + F("account__on_hold")) * rate_of("account__currency_id", rates)
        ),
    }
    totals = {
        "totalCommissionInRAT": Coalesce(Sum(commission_in_rat(rates)), ZERO),
        "totalTradedVolumeInRAT": Coalesce(Sum(volume_in_rat(rates)), ZERO),
    }
    return _grouped(deals(scope, where), groups, totals, {})


def commissions_assets(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    groups = {
        "assetId": F("account__currency_id"),
        "assetName": F("account__currency__name"),
        "assetAmountScale": F("account__currency__minor_units"),
        "createdAt": F("account__currency__created_at"),
        "rate": rate_of("account__currency_id", rates),
    }
    totals = {"totalAssetCommission": Coalesce(Sum("commission"), ZERO)}
    after = {
        "totalAssetAmount": Coalesce(_wallet_total(scope, currency_id="h_assetId"), ZERO, output_field=AMOUNT_FIELD),
        "totalAssetCommissionInRAT": _in_rat("totalAssetCommission"),
    }
    queryset = _grouped(deals(scope, where), groups, totals, after)
    rows: QuerySet[Any] = queryset.annotate(h_totalAssetAmountInRAT=_in_rat("totalAssetAmount"))
    return rows


ASSET_COMMISSION = ["totalAssetAmount", "totalAssetAmountInRAT", "totalAssetCommission", "totalAssetCommissionInRAT"]
BY_TOTAL = [F("h_totalCommissionInRAT").desc(), F("h_userId").asc()]
COMMISSIONS_ACCOUNTS_ASSETS = Source(
    DEAL_FIELDS,
    ["userId", "accountId", "accountName", "assetId", "assetName", *ASSET_COMMISSION],
    ["userId", "accountId", "accountName", "assetId", *ASSET_COMMISSION],
    [F("h_userId").asc(), F("h_accountId").asc()],
    commissions_accounts_assets,
)
COMMISSIONS_USERS_ASSETS = Source(
    DEAL_FIELDS,
    ["userId", "assetId", "assetName", *ASSET_COMMISSION],
    ["userId", "assetId", *ASSET_COMMISSION],
    [F("h_userId").asc(), F("h_assetId").asc()],
    commissions_users_assets,
)
USER_TOTALS = ["totalBalanceInRAT", "totalCommissionInRAT", "totalTradedVolumeInRAT"]
COMMISSIONS_USERS = Source(
    DEAL_FIELDS,
    ["userId", "userEmail", "status", *USER_TOTALS],
    ["userId", "userEmail", "status", *USER_TOTALS],
    BY_TOTAL,
    commissions_users,
)
COMMISSIONS_ACCOUNTS = Source(
    DEAL_FIELDS,
    ["userId", "userEmail", "accountId", "accountName", *USER_TOTALS],
    ["userId", "userEmail", "accountId", "accountName", *USER_TOTALS],
    [F("h_totalCommissionInRAT").desc(), F("h_accountId").asc()],
    commissions_accounts,
)
COMMISSIONS_ASSETS = Source(
    DEAL_FIELDS,
    ["assetId", "assetName", "assetAmountScale", *ASSET_COMMISSION, "createdAt"],
    ["assetId", "assetName", *ASSET_COMMISSION],
    [F("h_assetId").asc()],
    commissions_assets,
)


def markup_revenue(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    groups = {"marketId": F("instrument__symbol"), "displayName": F("instrument__symbol")}
    totals = {
        "tradesCount": Count("pk"),
        "tradedVolume": Coalesce(Sum(base_amount("")), ZERO),
        "tradedVolumeInRat": Coalesce(Sum(volume_in_rat(rates)), ZERO),
        "markupProfitInRat": Coalesce(Sum(markup_in_rat(rates)), ZERO),
        "commissionProfitInRat": Coalesce(Sum(commission_in_rat(rates)), ZERO),
    }
    return _grouped(deals(scope, where), groups, totals, {})


MARKUP_KEYS = [
    "marketId", "displayName", "tradesCount", "tradedVolume", "tradedVolumeInRat", "markupProfitInRat",
    "commissionProfitInRat",
]  # fmt: skip
MARKUP_REVENUE = Source(DEAL_FIELDS, MARKUP_KEYS, MARKUP_KEYS, [F("h_marketId").asc()], markup_revenue)


# Balances ---------------------------------------------------------------------------------------------------

WALLET_FIELDS: dict[str, Field] = {**account_fields(""), "assetId": Field("currency_id", Kind.TEXT)}
BALANCE_KEYS = [
    "assetId", "assetName", "totalAssetAmount", "availableAssetAmount", "lockedAssetAmount", "rateToRootAsset",
    "totalAssetAmountInRAT", "availableAssetAmountInRAT", "lockedAssetAmountInRAT",
]  # fmt: skip


def wallets(scope: Scope, where: Q) -> QuerySet[Wallet]:
    return scoped(Wallet.objects.filter(is_demo=False), scope, "customer__").filter(where)


def _balances(scope: Scope, where: Q, rates: Rates, groups: dict[str, Any]) -> QuerySet[Any]:
    groups = {
        **groups,
        "assetId": F("currency_id"),
        "assetName": F("currency__name"),
        "rateToRootAsset": rate_of("currency_id", rates),
    }
    totals = {
        "totalAssetAmount": _money(Sum(F("balance") + F("on_hold"))),
        "availableAssetAmount": _money(Sum("balance")),
        "lockedAssetAmount": _money(Sum("on_hold")),
    }
    after = {
        f"{name}InRAT": _in_rat(name, "h_rateToRootAsset")
        for name in ("totalAssetAmount", "availableAssetAmount", "lockedAssetAmount")
    }
    return _grouped(wallets(scope, where), groups, totals, after)


def user_balances(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    return _balances(scope, where, rates, {"userId": F("customer_id")})


def account_balances(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    columns = account_columns("")
    columns.pop("userEmail")
    return _balances(scope, where, rates, columns)


USER_BALANCES = Source(
    WALLET_FIELDS, ["userId", *BALANCE_KEYS], ["userId", *BALANCE_KEYS], [F("h_userId"), F("h_assetId")], user_balances
)
ACCOUNT_BALANCES = Source(
    WALLET_FIELDS,
    ["userId", "accountId", "accountName", *BALANCE_KEYS],
    ["userId", "accountId", "accountName", *BALANCE_KEYS],
    [F("h_userId"), F("h_accountId")],
    account_balances,
)


def user_total_in_rat(scope: Scope, customer: Customer, rates: Rates) -> Decimal:
    in_rat = _money((F("balance") + F("on_hold")) * rate_of("currency_id", rates))
    total: Decimal = wallets(scope, Q(customer=customer)).aggregate(total=Coalesce(Sum(in_rat), ZERO))["total"]
    return total


# Orders -----------------------------------------------------------------------------------------------------

ORDER_FIELDS: dict[str, Field] = {
    **account_fields("account__"),
    "orderId": Field("pk", Kind.INTEGER),
    "marketId": Field("instrument__symbol", Kind.TEXT),
    "side": Field("side", Kind.ENUM, SIDES),
    "orderType": Field("type", Kind.ENUM, ORDER_TYPES),
    "timeInForce": Field("time_in_force", Kind.ENUM, TIME_IN_FORCE),
    "orderStatus": Field(
        "status", Kind.ENUM, {status.value: status.value for status in enums.OrderStatus}, enums.status_filter
    ),
    "commissionAssetId": Field("account__currency_id", Kind.TEXT),
    "createdAt": Field("created_at", Kind.DATETIME),
    "updatedAt": Field("updated_at", Kind.DATETIME),
}
ORDER_KEYS = [
    "orderId", "userId", "userEmail", "accountId", "accountName", "marketId", "marketDisplayName", "side",
    "orderType", "timeInForce", "orderStatus", "hedge", "baseAmount", "quoteAmount", "filledAmount",
    "remainingAmount", "avgExecutionPrice", "limitPrice", "commissionAmount", "commissionAssetId",
    "commissionAssetName", "commissionInRAT", "createdAt", "updatedAt",
]  # fmt: skip


def order_commission() -> Coalesce:
    total = (
        Deal.objects.filter(order_id=OuterRef("pk"))
        .order_by()
        .values("order_id")
        .annotate(total=Sum("commission"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=AMOUNT_FIELD), ZERO)


def order_rows(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    filled = Q(status=Order.Status.FILLED)
    columns = {
        "orderId": F("pk"),
        **account_columns("account__"),
        "marketId": F("instrument__symbol"),
        "marketDisplayName": F("instrument__symbol"),
        "side": _case("side", SIDES),
        "orderType": _case("type", ORDER_TYPES),
        "timeInForce": _case("time_in_force", TIME_IN_FORCE),
        "orderStatus": order_status_case(),
        "hedge": Value(1),
        "baseAmount": base_amount(""),
        "quoteAmount": _money(base_amount("") * Coalesce("fill_price", "price")),
        "filledAmount": Case(When(filled, then=base_amount("")), default=ZERO, output_field=AMOUNT_FIELD),
        "remainingAmount": Case(When(filled, then=ZERO), default=base_amount(""), output_field=AMOUNT_FIELD),
        "avgExecutionPrice": F("fill_price"),
        "limitPrice": F("price"),
        "commissionAmount": order_commission(),
        "commissionAssetId": F("account__currency_id"),
        "commissionAssetName": F("account__currency__name"),
        "commissionInRAT": _money(order_commission() * rate_of("account__currency_id", rates)),
        "createdAt": F("created_at"),
        "updatedAt": F("updated_at"),
    }
    queryset = scoped(Order.objects.filter(account__is_demo=False), scope, "account__customer__").filter(where)
    return _columns(queryset, columns)


def open_order_rows(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    return order_rows(scope, where & Q(status=Order.Status.PENDING), rates)


NEWEST_ORDERS = [F("h_createdAt").desc(), F("h_orderId").desc()]
ORDERS = Source(ORDER_FIELDS, ORDER_KEYS, ORDER_KEYS, NEWEST_ORDERS, order_rows)
OPEN_ORDERS = Source(ORDER_FIELDS, ORDER_KEYS, ORDER_KEYS, NEWEST_ORDERS, open_order_rows)
EXTERNAL_ORDER_KEYS = [
    "externalOrderId", "lpOrderId", "orderId", "userId", "userEmail", "accountId", "accountName", "marketId",
    "marketDisplayName", "side", "orderType", "timeInForce", "orderStatus", "baseAmount", "quoteAmount",
    "avgExecutionPrice", "limitPrice", "filledAmount", "remainingAmount", "commissionAmount", "commissionAssetId",
    "commissionAssetName", "commissionInRAT", "createdAt", "updatedAt",
]  # fmt: skip


def no_orders(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    """Nothing is routed to a liquidity provider by the built-in platform (see the module's text)."""
    return order_rows(scope, where, rates).none()


EXTERNAL_ORDERS = Source(
    ORDER_FIELDS,
    EXTERNAL_ORDER_KEYS,
    [key for key in EXTERNAL_ORDER_KEYS if key not in ("externalOrderId", "lpOrderId")],
    NEWEST_ORDERS,
    no_orders,
)


# Transfers --------------------------------------------------------------------------------------------------

TRANSFER_FIELDS: dict[str, Field] = {
    "userId": Field("customer_id", Kind.INTEGER),
    "userEmail": Field("customer__email", Kind.TEXT),
    "accountId": Field("wallet__number", Kind.TEXT),
    "transferId": Field("pk", Kind.INTEGER),
    "assetId": Field("currency_id", Kind.TEXT),
    "type": Field("type", Kind.ENUM, TRANSFER_TYPE_OF),
    "status": Field("status", Kind.ENUM, TRANSFER_STATUS_OF),
    "assetAmount": Field("amount", Kind.NUMBER),
    "deduplicationId": Field("request_key", Kind.TEXT),
    "createdAt": Field("created_at", Kind.DATETIME),
}
TRANSFER_KEYS = [
    "userId", "userEmail", "accountId", "accountName", "transferId", "assetId", "assetName", "type", "status",
    "assetAmount", "createdAt", "rateToRootAsset", "assetAmountInRAT", "deduplicationId",
]  # fmt: skip


def transfer_rows(scope: Scope, where: Q, rates: Rates) -> QuerySet[Any]:
    rate = rate_of("currency_id", rates)
    columns = {
        "userId": F("customer_id"),
        "userEmail": F("customer__email"),
        "accountId": F("wallet__number"),
        "accountName": Coalesce(NullIf(F("wallet__caption"), Value("")), F("wallet__number")),
        "transferId": F("pk"),
        "assetId": F("currency_id"),
        "assetName": F("currency__name"),
        "type": _case("type", TRANSFER_TYPE_OF),
        "status": _case("status", TRANSFER_STATUS_OF),
        "assetAmount": F("amount"),
        "createdAt": F("created_at"),
        "rateToRootAsset": rate,
        "assetAmountInRAT": _money(F("amount") * rate),
        "deduplicationId": F("request_key"),
    }
    queryset = Transaction.objects.filter(type__in=list(TRANSFER_TYPES), wallet__is_demo=False)
    return _columns(scoped(queryset, scope, "customer__").filter(where), columns)


TRANSFERS = Source(
    TRANSFER_FIELDS, TRANSFER_KEYS, TRANSFER_KEYS, [F("h_createdAt").desc(), F("h_transferId").desc()], transfer_rows
)
