"""001 "MarketData": an instrument's candle history (bars built from the quotes, `Candle`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from crm.trading.compat.common import text, trader_view, valid
from crm.trading.models import Candle, CandleInterval, Instrument

MAX_BARS = 5000


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
    instrument = Instrument.objects.filter(symbol=marketSymbol, is_enabled=True).first()
    if instrument is None:
        raise exceptions.ValidationError({"marketSymbol": [_("There is no such market.")]})
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
