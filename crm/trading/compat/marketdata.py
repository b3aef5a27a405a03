"""001 "MarketData": an instrument's candle history (bars built from the quotes, `Candle`) and a perpetual market's
funding-rate history (`FundingRate`)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from crm.trading.compat.common import text, trader_view, valid
from crm.trading.models import Candle, CandleInterval, FundingRate, Instrument

MAX_BARS = 5000
MAX_FUNDING_POINTS = 1000


class HistoryQuery(serializers.Serializer[Any]):
    interval = serializers.ChoiceField(choices=CandleInterval.choices, required=False, default=CandleInterval.M1)
    start = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Bars from.")
    end = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Bars until.")
    limit = serializers.IntegerField(required=False, default=500, min_value=1, max_value=MAX_BARS)


class Bar(serializers.Serializer[Any]):
    instrument = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    low = serializers.CharField()
    high = serializers.CharField()
    open = serializers.CharField()
    close = serializers.CharField()


class HistoryResponse(serializers.Serializer[Any]):
    data = Bar(many=True)  # type: ignore[assignment]  # a field named like Serializer.data


def _market(symbol: str) -> Instrument:
    instrument = Instrument.objects.filter(symbol=symbol, is_enabled=True).first()
    if instrument is None:
        raise exceptions.ValidationError({"marketSymbol": [_("There is no such market.")]})
    return instrument


@trader_view(
    ["GET"],
    summary="Candle history",
    description="OHLC bars of the instrument's bid, oldest first: the latest `limit` bars of `interval` (M1, M5, "
    "M15, M30, H1, H4, D1) starting at or after `start` and before `end`. An unknown symbol is a 400.",
    parameters=[OpenApiParameter("marketSymbol", str, OpenApiParameter.PATH), HistoryQuery],
    responses=HistoryResponse,
    account=False,
)
def history(request: Request, marketSymbol: str) -> Response:
    values = valid(HistoryQuery, request.query_params)
    instrument = _market(marketSymbol)
    rows = Candle.objects.filter(instrument=instrument, interval=values["interval"])
    if values["start"]:
        rows = rows.filter(start__gte=values["start"])
    if values["end"]:
        rows = rows.filter(start__lt=values["end"])
    latest = list(rows.order_by("-start")[: values["limit"]])
    data = [
        {
            "instrument": instrument.symbol,
            "start": bar.start,
            "end": bar.end,
            "low": text(bar.low),
            "high": text(bar.high),
            "open": text(bar.open),
            "close": text(bar.close),
        }
        for bar in reversed(latest)
    ]
    return Response(HistoryResponse({"data": data}).data)


class FundingQuery(serializers.Serializer[Any]):
    before = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Only moments before this one (the next page)."
    )
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=MAX_FUNDING_POINTS)


class FundingPoint(serializers.Serializer[Any]):
    appliedAt = serializers.DateTimeField(help_text="The funding moment.")
    interval = serializers.IntegerField(help_text="Hours between funding moments.")
    rate = serializers.CharField(help_text="A fraction of the notional; positive: longs pay shorts.")


class FundingResponse(serializers.Serializer[Any]):
    fundingData = FundingPoint(many=True)
    hasMore = serializers.BooleanField()


@trader_view(
    ["GET"],
    summary="Funding-rate history",
    description="The funding rates of a perpetual market at its past funding moments, newest first: at most "
    "`limit` (default 100, at most 1000) before `before` (default: now); `hasMore` says whether older ones are "
    "left (ask again with `before` = the last `appliedAt`). A market that is not perpetual has none; an unknown "
    "symbol is a 400.",
    parameters=[OpenApiParameter("marketSymbol", str, OpenApiParameter.PATH), FundingQuery],
    responses=FundingResponse,
    account=False,
)
def funding(request: Request, marketSymbol: str) -> Response:
    values = valid(FundingQuery, request.query_params)
    instrument = _market(marketSymbol)
    rows = FundingRate.objects.filter(instrument=instrument, applied_at__lte=timezone.now())  # announced: not yet
    if values["before"]:
        rows = rows.filter(applied_at__lt=values["before"])
    limit = values["limit"]
    points = list(rows.order_by("-applied_at")[: limit + 1])
    data = [{"appliedAt": row.applied_at, "interval": row.interval_hours, "rate": text(row.rate)} for row in points]
    return Response(FundingResponse({"fundingData": data[:limit], "hasMore": len(points) > limit}).data)
