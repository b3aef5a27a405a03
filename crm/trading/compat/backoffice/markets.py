"""001 "Settings — back office v2", markets: list, search, one market, create, update, and the markets file
(import and export as jobs), at the seed's paths.

Choices where the seed is silent (README "API" lists the value sets):

- `marketId` and `displayName` are the market's symbol; a market is created under its `displayName` (or base
  and quote asset ids joined, `BTCUSD`), and the symbol does not change afterwards.
- `type` Spot/Cfd/Perpetual, `subtype` the market's category (Forex, Metals, ...), `status` Active or Disabled
  (whether clients may trade it).
- `priceScale` is the market's price decimals (its `digits`: a point is one unit of the last); `amountScale`
  the decimals of its amounts (lots times lot size), at least those of `lotStep` times `lotSize`. The front
  office's market answers (v3, v4) show the same two figures.
- `lotSize` is the contract size; `minAmount` and `maxBaseAmount` are the lot limits times it (given alone,
  they set the lot limits; given with them, they must agree).
- `swapSettings.type` Disabled, Points, Money or Interest; a Money swap is charged in the base asset
  (`assetId` = `baseAssetId`) or, with no `assetId`, in the account's currency. Other types have no asset.
- Calendars, trading sessions and market-data sessions (liquidity providers) are not separate objects here:
  a market's hours are its own weekly sessions (`GET /frontoffice/api/v4/markets/{marketId}` shows them).
  `calendarId` answers null and the session lists are empty; naming one in a write is refused as unknown.
- `PUT` changes the fields the body has (absent: unchanged); `baseAssetId`, `quoteAssetId` and `type` cannot
  change (a different value is refused).
- `markets/list`: every list filter matches any of its values exactly; `marketId` finds markets whose id
  starts with it; `limit` 100 by default (at most 1000). `maxLeverage` is text in this answer, as the seed shows.
- The markets file: see crm.trading.services.market_files (columns, per-row all or nothing). `GET
  markets/download` answers the export job's id; its progress and file are at `/api/v1/backoffice/exports/{id}/`.
  Job `status`: InProcess, Completed, Failed.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.models import ExportJob
from crm.trading import services
from crm.trading.compat import enums
from crm.trading.compat.backoffice.authentication import operation
from crm.trading.compat.backoffice.settings import ERRORS, ERRORS_404, TAGS, BackApiView, _numeric, _validated
from crm.trading.compat.common import text
from crm.trading.models import Asset, Instrument, MarketGroup, MarketImport, SwapMode
from crm.trading.services import market_files

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


SORT_FIELDS = {
    enums.MarketSortField.MARKET_ID: "symbol",
    enums.MarketSortField.DISPLAY_NAME: "symbol",
    enums.MarketSortField.FULL_NAME: "description",
    enums.MarketSortField.TYPE: "market_type",
    enums.MarketSortField.SUBTYPE: "category",
    enums.MarketSortField.STATUS: "is_enabled",
    enums.MarketSortField.BASE_ASSET_ID: "margin_currency",
    enums.MarketSortField.QUOTE_ASSET_ID: "profit_currency",
    enums.MarketSortField.CREATED_AT: "created_at",
    enums.MarketSortField.UPDATED_AT: "updated_at",
}
TYPES = {value: key for key, value in enums.MARKET_TYPE_OF.items()}
SUBTYPE_OF: dict[str, str] = {
    value: str(enums.MarketSubtype[Instrument.Category(value).name]) for value in Instrument.Category
}
SUBTYPES = {value: key for key, value in SUBTYPE_OF.items()}
# Model field -> the seed's name, for the errors of `full_clean`.
SEED_NAME = {
    "symbol": "displayName",
    "description": "fullName",
    "price_deviation": "priceDeviation",
    "digits": "priceScale",
    "amount_scale": "amountScale",
    "slippage_rate": "slippageRate",
    "contract_size": "lotSize",
    "min_lot": "minLotAmount",
    "max_lot": "maxLotAmount",
    "tick_size": "tickSize",
    "lot_step": "lotStep",
    "swap_long": "swapSettings.longPositionSettings.swapSize",
    "swap_short": "swapSettings.shortPositionSettings.swapSize",
    "max_leverage": "maxLeverage",
    "min_quote_amount": "minQuoteAmount",
    "external_ttl": "externalTtl",
    "internal_ttl": "internalTtl",
}


# Answers ------------------------------------------------------------------------------------------------------


class BackApiSwapSideOutSerializer(serializers.Serializer[Any]):
    swapSize = serializers.CharField()
    assetId = serializers.CharField(allow_null=True)


class BackApiSwapSettingsOutSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=enums.SwapType.choices)
    shortPositionSettings = BackApiSwapSideOutSerializer()
    longPositionSettings = BackApiSwapSideOutSerializer()


class BackApiMarketSessionSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    liquidityProviderId = serializers.CharField()


class BackApiMarketOutSerializer(serializers.Serializer[Any]):
    marketId = serializers.CharField()
    displayName = serializers.CharField()
    fullName = serializers.CharField()
    baseAssetId = serializers.CharField()
    quoteAssetId = serializers.CharField()
    minAmount = serializers.CharField()
    priceDeviation = serializers.CharField()
    priceScale = serializers.IntegerField()
    amountScale = serializers.IntegerField()
    slippageRate = serializers.CharField()
    status = serializers.ChoiceField(choices=enums.MarketStatus.choices)
    type = serializers.ChoiceField(choices=enums.MarketType.choices)
    subtype = serializers.ChoiceField(choices=enums.MarketSubtype.choices)
    isSynchronized = serializers.BooleanField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    externalTtl = serializers.IntegerField()
    internalTtl = serializers.IntegerField()
    lotSize = serializers.IntegerField()
    minLotAmount = serializers.CharField()
    maxLotAmount = serializers.IntegerField()
    tickSize = serializers.CharField()
    lotStep = serializers.CharField()
    swapSettings = BackApiSwapSettingsOutSerializer()
    calendarId = serializers.CharField(allow_null=True)
    marketGroupId = serializers.CharField(allow_null=True)
    marketGroupName = serializers.CharField(allow_null=True)
    calendarName = serializers.CharField(allow_null=True)
    maxLeverage = serializers.IntegerField(allow_null=True)
    isConstLeverage = serializers.BooleanField()
    minQuoteAmount = serializers.CharField(allow_null=True)
    maxBaseAmount = serializers.CharField()
    tradingSessions = BackApiMarketSessionSerializer(many=True)
    marketDataSessions = BackApiMarketSessionSerializer(many=True)


class BackApiMarketListItemSerializer(BackApiMarketOutSerializer):
    maxLeverage = serializers.CharField(allow_null=True)  # type: ignore[assignment]  # text here, as the seed shows


class BackApiMarketListOutSerializer(serializers.Serializer[Any]):
    markets = BackApiMarketListItemSerializer(many=True)


class BackApiMarketShortSerializer(serializers.Serializer[Any]):
    marketId = serializers.CharField(source="symbol")
    displayName = serializers.CharField(source="symbol")
    fullName = serializers.CharField(source="description")


class BackApiMarketIdSerializer(serializers.Serializer[Any]):
    marketId = serializers.CharField()


class BackApiFileJobSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=enums.FileJobStatus.choices)


class BackApiImportStatusSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=enums.FileJobStatus.choices)
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    errors = serializers.IntegerField()  # type: ignore[assignment]  # the seed's name; DRF keeps it a field
    incorrectRows = serializers.ListField(child=serializers.IntegerField())


def _swap_asset(instrument: Instrument) -> str | None:
    if instrument.swap_mode in (SwapMode.CURRENCY_SYMBOL, SwapMode.CURRENCY_MARGIN):
        return instrument.margin_currency
    return None


def market_answer(instrument: Instrument) -> dict[str, Any]:
    """One market in the seed's full shape (GET markets/{marketId}; `markets/list` turns maxLeverage to text)."""
    asset = _swap_asset(instrument)
    return {
        "marketId": instrument.symbol,
        "displayName": instrument.symbol,
        "fullName": instrument.description,
        "baseAssetId": instrument.margin_currency,
        "quoteAssetId": instrument.profit_currency,
        "minAmount": text(instrument.min_lot * instrument.contract_size),
        "priceDeviation": text(instrument.price_deviation),
        "priceScale": instrument.digits,
        "amountScale": instrument.amount_scale,
        "slippageRate": text(instrument.slippage_rate),
        "status": enums.MarketStatus.ACTIVE if instrument.is_enabled else enums.MarketStatus.DISABLED,
        "type": enums.MARKET_TYPE_OF[Instrument.MarketType(instrument.market_type)],
        "subtype": SUBTYPE_OF[instrument.category],
        "isSynchronized": instrument.is_synchronized,
        "createdAt": instrument.created_at,
        "updatedAt": instrument.updated_at,
        "externalTtl": instrument.external_ttl,
        "internalTtl": instrument.internal_ttl,
        "lotSize": int(instrument.contract_size),
        "minLotAmount": text(instrument.min_lot),
        "maxLotAmount": int(instrument.max_lot),
        "tickSize": text(instrument.tick_size),
        "lotStep": text(instrument.lot_step),
        "swapSettings": {
            "type": enums.SWAP_TYPE_OF[SwapMode(instrument.swap_mode)],
            "shortPositionSettings": {"swapSize": text(instrument.swap_short), "assetId": asset},
            "longPositionSettings": {"swapSize": text(instrument.swap_long), "assetId": asset},
        },
        "calendarId": None,
        "marketGroupId": None if instrument.market_group_id is None else str(instrument.market_group_id),
        "marketGroupName": instrument.market_group.name if instrument.market_group else None,
        "calendarName": None,
        "maxLeverage": instrument.max_leverage,
        "isConstLeverage": instrument.is_const_leverage,
        "minQuoteAmount": text(instrument.min_quote_amount),
        "maxBaseAmount": text(instrument.max_lot * instrument.contract_size),
        "tradingSessions": [],
        "marketDataSessions": [],
    }


# Requests -----------------------------------------------------------------------------------------------------


def _amount(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=24, decimal_places=10, min_value=Decimal(0), **kwargs)


class BackApiSwapSideInSerializer(serializers.Serializer[Any]):
    swapSize = serializers.DecimalField(max_digits=12, decimal_places=6)
    assetId = serializers.CharField(max_length=20, allow_null=True, allow_blank=True, required=False)


class BackApiSwapSettingsInSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=enums.SwapType.choices)
    shortPositionSettings = BackApiSwapSideInSerializer()
    longPositionSettings = BackApiSwapSideInSerializer()


class BackApiMarketUpdateSerializer(serializers.Serializer[Any]):
    """Every field optional: the ones given change, the others stay."""

    fullName = serializers.CharField(max_length=200, allow_blank=True, required=False)
    displayName = serializers.CharField(max_length=32, required=False, help_text="The market id (its symbol).")
    minAmount = _amount(required=False, help_text="minLotAmount times lotSize.")
    priceDeviation = _amount(required=False, help_text="Percent; 0 accepts any quote.")
    priceScale = serializers.IntegerField(
        min_value=0, max_value=10, required=False, help_text="Decimal places of prices (the market's points)."
    )
    amountScale = serializers.IntegerField(
        min_value=0,
        max_value=8,
        required=False,
        help_text="Decimal places of amounts, at least those of lotStep times lotSize.",
    )
    slippageRate = _amount(required=False, help_text="Percent.")
    status = serializers.ChoiceField(choices=enums.MarketStatus.choices, required=False)
    subtype = serializers.ChoiceField(choices=enums.MarketSubtype.choices, required=False)
    isSynchronized = serializers.BooleanField(required=False)
    externalTtl = serializers.IntegerField(min_value=0, required=False, help_text="Seconds; 0: no limit.")
    internalTtl = serializers.IntegerField(min_value=0, required=False, help_text="Seconds; 0: no limit.")
    marketGroupId = serializers.CharField(max_length=20, allow_null=True, allow_blank=True, required=False)
    calendarId = serializers.CharField(max_length=40, allow_null=True, allow_blank=True, required=False)
    lotSize = serializers.IntegerField(min_value=1, required=False, help_text="The contract size.")
    minLotAmount = _amount(required=False)
    maxLotAmount = _amount(required=False)
    tickSize = _amount(required=False)
    lotStep = _amount(required=False)
    swapSettings = BackApiSwapSettingsInSerializer(required=False)
    maxLeverage = serializers.IntegerField(min_value=1, allow_null=True, required=False)
    isConstLeverage = serializers.BooleanField(required=False)
    minQuoteAmount = _amount(allow_null=True, required=False)
    maxBaseAmount = _amount(required=False, help_text="maxLotAmount times lotSize.")
    tradingSessionIds = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    marketDataSessionIds = serializers.ListField(child=serializers.CharField(max_length=40), required=False)


class BackApiMarketCreateSerializer(BackApiMarketUpdateSerializer):
    baseAssetId = serializers.CharField(max_length=20)
    quoteAssetId = serializers.CharField(max_length=20)
    type = serializers.ChoiceField(choices=enums.MarketType.choices)


class BackApiSortSerializer(serializers.Serializer[Any]):
    direction = serializers.ChoiceField(choices=enums.SortDirection.choices, default=enums.SortDirection.ASC)
    field = serializers.ChoiceField(choices=enums.MarketSortField.choices, default=enums.MarketSortField.MARKET_ID)


def _texts() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list)


def _choices(choices: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=choices), required=False, default=list)


class BackApiMarketSearchSerializer(serializers.Serializer[Any]):
    marketIds = _texts()
    types = _choices(enums.MarketType.choices)
    subtypes = _choices(enums.MarketSubtype.choices)
    displayNames = _texts()
    fullNames = _texts()
    calendarIds = _texts()
    marketGroupIds = _texts()
    excludeMarketGroupIds = _texts()
    baseAssetIds = _texts()
    quoteAssetIds = _texts()
    statuses = _choices(enums.MarketStatus.choices)
    marketId = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text="Id starts with.")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    offset = serializers.IntegerField(min_value=0, default=0)
    sort = BackApiSortSerializer(required=False)
    tradingSessionNames = _texts()
    marketDataSessionNames = _texts()
    tradingSessionStatus = serializers.CharField(max_length=40, required=False, allow_null=True, allow_blank=True)
    marketDataSessionStatus = serializers.CharField(max_length=40, required=False, allow_null=True, allow_blank=True)


class BackApiMarketFileSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="An XLSX (or CSV) markets file: the columns of `markets/download`.")


# Request -> instrument values -----------------------------------------------------------------------------------


def _unknown_references(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    if data.get("calendarId"):
        errors["calendarId"] = [_("Unknown calendar.")]
    for name in ("tradingSessionIds", "marketDataSessionIds"):
        if data.get(name):
            errors[name] = [_("Unknown sessions: %(ids)s.") % {"ids": ", ".join(data[name])}]


def _swap_values(swap: dict[str, Any], instrument: Instrument, errors: dict[str, list[str]]) -> dict[str, Any]:
    kind = swap["type"]
    assets = {(swap[side].get("assetId") or None) for side in ("shortPositionSettings", "longPositionSettings")}
    mode = SwapMode(instrument.swap_mode)
    if kind == enums.SwapType.MONEY:
        if len(assets) > 1 or not assets <= {None, instrument.margin_currency}:
            errors["swapSettings.longPositionSettings.assetId"] = [
                _("A money swap is in the base asset, or with no asset in the account's currency.")
            ]
        asset = assets.pop() if len(assets) == 1 else None
        if asset is None:
            mode = SwapMode.CURRENCY_DEPOSIT
        elif mode not in (SwapMode.CURRENCY_SYMBOL, SwapMode.CURRENCY_MARGIN):
            mode = SwapMode.CURRENCY_SYMBOL
    elif enums.SWAP_TYPE_OF[mode] != kind:
        mode = {
            enums.SwapType.DISABLED: SwapMode.DISABLED,
            enums.SwapType.POINTS: SwapMode.POINTS,
            enums.SwapType.INTEREST: SwapMode.INTEREST_CURRENT,
        }[kind]
    return {
        "swap_mode": mode,
        "swap_long": swap["longPositionSettings"]["swapSize"],
        "swap_short": swap["shortPositionSettings"]["swapSize"],
    }


def _lot_values(data: dict[str, Any], instrument: Instrument, errors: dict[str, list[str]]) -> dict[str, Any]:
    """Lots and amounts: `minAmount`/`maxBaseAmount` are lots times lot size, so they set or check the lots."""
    values: dict[str, Any] = {}
    size = Decimal(data.get("lotSize", instrument.contract_size))
    pairs = (("minLotAmount", "minAmount", "min_lot"), ("maxLotAmount", "maxBaseAmount", "max_lot"))
    for lots, amount, field in pairs:
        if lots in data:
            values[field] = data[lots]
        if amount in data:
            derived = data[amount] / size
            if lots in data and derived != data[lots]:
                errors[amount] = [_("Must be %(lots)s times lotSize.") % {"lots": lots}]
            values.setdefault(field, derived)
    return values


PLAIN = {
    "fullName": "description",
    "priceDeviation": "price_deviation",
    "priceScale": "digits",
    "amountScale": "amount_scale",
    "slippageRate": "slippage_rate",
    "isSynchronized": "is_synchronized",
    "externalTtl": "external_ttl",
    "internalTtl": "internal_ttl",
    "lotSize": "contract_size",
    "tickSize": "tick_size",
    "lotStep": "lot_step",
    "maxLeverage": "max_leverage",
    "isConstLeverage": "is_const_leverage",
    "minQuoteAmount": "min_quote_amount",
}


def _values(data: dict[str, Any], instrument: Instrument) -> dict[str, Any]:
    """The instrument fields a create or update body sets; a 400 with every field error when any is refused."""
    errors: dict[str, list[str]] = {}
    values = {field: data[name] for name, field in PLAIN.items() if name in data}
    if "status" in data:
        values["is_enabled"] = data["status"] == enums.MarketStatus.ACTIVE
    if "subtype" in data:
        values["category"] = SUBTYPES[data["subtype"]]
    if "marketGroupId" in data:
        values["market_group"] = None
        if data["marketGroupId"]:
            pk = _numeric(data["marketGroupId"])
            values["market_group"] = MarketGroup.objects.filter(pk=pk).first() if pk is not None else None
            if values["market_group"] is None:
                errors["marketGroupId"] = [_("Unknown market group.")]
    if "swapSettings" in data:
        values.update(_swap_values(data["swapSettings"], instrument, errors))
    values.update(_lot_values(data, instrument, errors))
    _unknown_references(data, errors)
    if errors:
        raise ValidationError(errors)
    # "0.0100000000" as the serializer reads it would break the model's decimal places; "0.01" does not.
    return {name: _plain_decimal(value) if isinstance(value, Decimal) else value for name, value in values.items()}


def _plain_decimal(value: Decimal) -> Decimal:
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def _save(instrument: Instrument | None, values: dict[str, Any], actor: Any) -> Instrument:
    """`save_instrument` (the admin's and the back-office API's rules), its field errors in the seed's names."""
    try:
        return services.save_instrument(instrument, actor=actor, **values)
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {SEED_NAME.get(field, field): messages for field, messages in exc.message_dict.items()}
        ) from exc


def _market(market_id: str) -> Instrument:
    instrument = Instrument.objects.select_related("market_group").filter(symbol=market_id).first()
    if instrument is None:
        raise NotFound()
    return instrument


def _asset(code: str, field: str, errors: dict[str, list[str]]) -> Asset | None:
    asset = Asset.objects.filter(code=code).first()
    if asset is None:
        errors[field] = [_("Unknown asset.")]
    return asset


# Views ----------------------------------------------------------------------------------------------------------


class MarketsView(BackApiView):
    def get_permissions(self) -> list[Any]:
        return [operation("view-common" if self.request.method == "GET" else "manage-markets")()]

    @extend_schema(
        tags=TAGS, summary="List markets", operation_id="backapi_v2_markets_list",
        description="Every market, in the configured sort order: `marketId` and `displayName` are the symbol.",
        responses={200: BackApiMarketShortSerializer(many=True), **ERRORS},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        markets = Instrument.objects.order_by("sort_order", "symbol").only("symbol", "description")
        return Response(BackApiMarketShortSerializer(markets, many=True).data)

    @extend_schema(
        tags=TAGS, summary="Create a market", operation_id="backapi_v2_markets_create",
        description="The market's id is its `displayName` (by default the base and quote asset ids joined).",
        request=BackApiMarketCreateSerializer, responses={201: BackApiMarketIdSerializer, **ERRORS},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        data = _validated(BackApiMarketCreateSerializer, request.data)
        errors: dict[str, list[str]] = {}
        base = _asset(data["baseAssetId"], "baseAssetId", errors)
        quote = _asset(data["quoteAssetId"], "quoteAssetId", errors)
        symbol = data.get("displayName") or f"{data['baseAssetId']}{data['quoteAssetId']}"
        if Instrument.objects.filter(symbol=symbol).exists():
            errors["displayName"] = [_("A market with this id already exists.")]
        draft = Instrument(margin_currency=data["baseAssetId"])
        try:
            values = _values(data, draft)
        except ValidationError as exc:
            errors.update(exc.detail)  # type: ignore[arg-type]  # a dict: raised with one above
        if errors:
            raise ValidationError(errors)
        instrument = _save(
            draft,
            {
                **values,
                "symbol": symbol,
                "market_type": TYPES[data["type"]],
                "base_asset": base,
                "quote_asset": quote,
                "margin_currency": data["baseAssetId"],
                "profit_currency": data["quoteAssetId"],
            },
            request.user,
        )
        return Response({"marketId": instrument.symbol}, status=status.HTTP_201_CREATED)


class MarketView(BackApiView):
    def get_permissions(self) -> list[Any]:
        return [operation("view-common" if self.request.method == "GET" else "manage-markets")()]

    @extend_schema(
        tags=TAGS, summary="A market's configuration", operation_id="backapi_v2_markets_get",
        responses={200: BackApiMarketOutSerializer, **ERRORS_404},
    )  # fmt: skip
    def get(self, request: Request, market_id: str) -> Response:
        return Response(BackApiMarketOutSerializer(market_answer(_market(market_id))).data)

    @extend_schema(
        tags=TAGS, summary="Update a market", operation_id="backapi_v2_markets_update",
        description="Changes the fields the body has; the assets, the type and the id (`displayName`) stay.",
        request=BackApiMarketUpdateSerializer, responses={204: None, **ERRORS_404},
    )  # fmt: skip
    def put(self, request: Request, market_id: str) -> Response:
        instrument = _market(market_id)
        data = _validated(BackApiMarketUpdateSerializer, request.data)
        fixed = {
            "displayName": instrument.symbol,
            "baseAssetId": instrument.margin_currency,
            "quoteAssetId": instrument.profit_currency,
            "type": enums.MARKET_TYPE_OF[Instrument.MarketType(instrument.market_type)],
        }
        body = request.data if isinstance(request.data, dict) else {}
        changed = {name: [_("Cannot be changed.")] for name, value in fixed.items() if body.get(name, value) != value}
        if changed:
            raise ValidationError(changed)
        data.pop("displayName", None)
        _save(instrument, _values(data, instrument), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _search(data: dict[str, Any]) -> QuerySet[Instrument]:
    """The markets a `markets/list` body selects, sorted."""
    markets = Instrument.objects.select_related("market_group")
    exact = {
        "marketIds": "symbol__in",
        "displayNames": "symbol__in",
        "baseAssetIds": "margin_currency__in",
        "quoteAssetIds": "profit_currency__in",
    }
    for name, lookup in exact.items():
        if data[name]:
            markets = markets.filter(**{lookup: data[name]})
    if data["fullNames"]:
        markets = markets.filter(description__in=data["fullNames"])
    if data["types"]:
        markets = markets.filter(market_type__in=[TYPES[value] for value in data["types"]])
    if data["subtypes"]:
        markets = markets.filter(category__in=[SUBTYPES[value] for value in data["subtypes"]])
    if data["statuses"]:
        markets = markets.filter(is_enabled__in=[value == enums.MarketStatus.ACTIVE for value in data["statuses"]])
    if data["marketGroupIds"]:
        markets = markets.filter(market_group_id__in=[_numeric(value) for value in data["marketGroupIds"]])
    if data["excludeMarketGroupIds"]:
        excluded = [_numeric(value) for value in data["excludeMarketGroupIds"]]
        markets = markets.filter(Q(market_group__isnull=True) | ~Q(market_group_id__in=excluded))
    if data.get("marketId"):
        markets = markets.filter(symbol__istartswith=data["marketId"])
    # No calendars or sessions here: a filter on them matches no market.
    sessions = ("calendarIds", "tradingSessionNames", "marketDataSessionNames")
    if any(data[name] for name in sessions) or data.get("tradingSessionStatus") or data.get("marketDataSessionStatus"):
        markets = markets.none()
    sort = data.get("sort") or {"field": "MarketId", "direction": "Asc"}
    field = SORT_FIELDS[sort["field"]]
    prefix = "-" if sort["direction"] == "Desc" else ""
    return markets.order_by(f"{prefix}{field}", f"{prefix}symbol")


class MarketSearchView(BackApiView):
    permission_classes = [operation("view-common")]

    @extend_schema(
        tags=TAGS, summary="Search markets", operation_id="backapi_v2_markets_search",
        description="Every list filter matches any of its values; `marketId` finds ids starting with it. "
        "`limit` 100 by default, at most 1000.",
        request=BackApiMarketSearchSerializer, responses={200: BackApiMarketListOutSerializer, **ERRORS},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        data = _validated(BackApiMarketSearchSerializer, request.data)
        page = _search(data)[data["offset"] : data["offset"] + data["limit"]]
        markets = []
        for instrument in page:
            answer = market_answer(instrument)
            answer["maxLeverage"] = None if instrument.max_leverage is None else str(instrument.max_leverage)
            markets.append(answer)
        return Response(BackApiMarketListOutSerializer({"markets": markets}).data)


def _job_status(job: MarketImport | ExportJob) -> str:
    """An import's or an export's status in the seed's words (both name their ends "done" and "failed")."""
    if job.status == MarketImport.Status.DONE:
        return enums.FileJobStatus.COMPLETED
    if job.status == MarketImport.Status.FAILED:
        return enums.FileJobStatus.FAILED
    return enums.FileJobStatus.IN_PROCESS


class MarketFileView(BackApiView):
    permission_classes = [operation("manage-markets")]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAGS, summary="Import a markets file", operation_id="backapi_v2_markets_file_import",
        description="Starts the import of an XLSX (or CSV) file in the columns of `markets/download`; each row "
        "creates or changes one market, whole or not at all. Poll `markets/file/{id}`.",
        request={"multipart/form-data": BackApiMarketFileSerializer},
        responses={200: BackApiFileJobSerializer, **ERRORS},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        data = _validated(BackApiMarketFileSerializer, request.data)
        upload = data["file"]
        job = market_files.create_market_import(owner=request.user, file=upload, name=upload.name)
        job.refresh_from_db(fields=["status"])
        return Response({"id": str(job.pk), "status": _job_status(job)})


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class MarketFileStatusView(BackApiView):
    permission_classes = [operation("manage-markets")]

    @extend_schema(
        tags=TAGS, summary="A markets file's import", operation_id="backapi_v2_markets_file_status",
        description="`incorrectRows`: the refused rows, 1 being the first row under the headers (their reasons "
        "are on the import's admin page).",
        responses={200: BackApiImportStatusSerializer, **ERRORS_404},
    )  # fmt: skip
    def get(self, request: Request, job_id: str) -> Response:
        pk = _uuid(job_id)
        job = MarketImport.objects.visible_to(request.user).filter(pk=pk).first() if pk else None
        if job is None:
            raise NotFound()
        answer = {
            "status": _job_status(job),
            "created": job.rows_created,
            "updated": job.rows_updated,
            "errors": job.rows_rejected,
            "incorrectRows": job.incorrect_rows,
        }
        return Response(BackApiImportStatusSerializer(answer).data)


class MarketDownloadView(BackApiView):
    permission_classes = [operation("manage-markets")]

    @extend_schema(
        tags=TAGS, summary="Export the markets file", operation_id="backapi_v2_markets_download",
        description="Starts an XLSX export of every market in the import's columns. The answer's `id` is the "
        "export job's: its progress and file are at `/api/v1/backoffice/exports/{id}/`.",
        responses={200: BackApiFileJobSerializer, **ERRORS},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        job = market_files.export_markets(owner=request.user)
        job.refresh_from_db(fields=["status"])
        return Response({"id": str(job.pk), "status": _job_status(job)})
