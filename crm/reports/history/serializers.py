"""Request and response bodies of the history server (seed 001 `/api/...`), for validation and the schema."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from crm.reports.history.query import FilterSerializer, SortSerializer
from crm.trading.compat import enums
from crm.trading.compat.backoffice.transfers import STATUSES, TYPES
from crm.trading.models import CandleInterval

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class FiltersRequestSerializer(serializers.Serializer[Any]):
    filters = FilterSerializer(many=True, required=False, default=list)


class LimitedRequestSerializer(FiltersRequestSerializer):
    limit = serializers.IntegerField(
        required=False, default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT,
        help_text=f"Rows at most (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}); `limit.isExceeded`: more matched.",
    )  # fmt: skip


class PagedRequestSerializer(FiltersRequestSerializer):
    limit = serializers.IntegerField(required=False, default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT)
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=10**9)
    sort = SortSerializer(required=False, allow_null=True, default=None)


class ChartRequestSerializer(serializers.Serializer[Any]):
    marketId = serializers.CharField(max_length=32)
    interval = serializers.ChoiceField(choices=CandleInterval.choices)
    dateFrom = serializers.DateTimeField()
    dateTo = serializers.DateTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["dateTo"] <= attrs["dateFrom"]:
            raise serializers.ValidationError({"dateTo": [_("Must be after dateFrom.")]})
        return attrs


class HistoryOrdersRequestSerializer(serializers.Serializer[Any]):
    createdAtFrom = serializers.DateTimeField(required=False, allow_null=True, default=None)
    createdAtTo = serializers.DateTimeField(required=False, allow_null=True, default=None)
    orderStatuses = serializers.ListField(
        child=serializers.ChoiceField(choices=enums.OrderStatus.choices), required=False, default=list
    )
    lastOrderId = serializers.RegexField(
        r"^[0-9]{1,18}$", required=False, allow_blank=True, allow_null=True, default=None
    )
    limit = serializers.IntegerField(required=False, default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT)


def _number() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=None, coerce_to_string=False, allow_null=True)


CLIENT_STATUS_CHOICES = [("Active", "Active"), ("Inactive", "Inactive"), ("Banned", "Banned")]
CHOICES: dict[str, list[tuple[str, str]]] = {
    "side": enums.Side.choices,
    "orderType": enums.OrderType.choices,
    "timeInForce": enums.TimeInForce.choices,
    "orderStatus": enums.OrderStatus.choices,
}
TEXT_SUFFIXES = ("Id", "Name", "Email", "displayName")
INTEGERS = {"tradesCount", "assetAmountScale", "hedge"}


def _field(key: str, choices: dict[str, list[tuple[str, str]]]) -> serializers.Field[Any, Any, Any, Any]:
    if key in choices:
        return serializers.ChoiceField(choices=choices[key])
    if key in ("createdAt", "updatedAt"):
        return serializers.DateTimeField()
    if key in INTEGERS:
        return serializers.IntegerField()
    if key.endswith(TEXT_SUFFIXES):
        return serializers.CharField(allow_null=True)
    return _number()


def row_serializer(name: str, keys: list[str], **choices: list[tuple[str, str]]) -> type[serializers.Serializer[Any]]:
    """A response row of `keys` (ids and names text, times ISO 8601, amounts numbers), named for the schema."""
    fields = {key: _field(key, {**CHOICES, **choices}) for key in keys}
    return type(name, (serializers.Serializer,), fields)


class ExceededSerializer(serializers.Serializer[Any]):
    isExceeded = serializers.BooleanField(help_text="More rows matched than `limit`; the first `limit` are shown.")


def limited_serializer(name: str, row: type[serializers.Serializer[Any]]) -> type[serializers.Serializer[Any]]:
    return type(name, (serializers.Serializer,), {"data": row(many=True), "limit": ExceededSerializer()})


def data_serializer(name: str, row: type[serializers.Serializer[Any]], *, total: bool = False) -> Any:
    fields: dict[str, Any] = {"data": row(many=True)}
    if total:
        fields = {"total": serializers.IntegerField(), **fields}
    return type(name, (serializers.Serializer,), fields)


# Named in the schema (ENUM_NAME_OVERRIDES), shared with the back office's transfer reads.
TRANSFER_TYPE_VALUES = sorted(TYPES.values())
TRANSFER_STATUS_VALUES = sorted(STATUSES.values())
TRANSFER_CHOICES = {"type": TRANSFER_TYPE_VALUES, "status": TRANSFER_STATUS_VALUES}


def choices_of(values: list[str]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


class TotalSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()


class UserBalanceSerializer(serializers.Serializer[Any]):
    totalBalanceInRAT = _number()


class BillingInfoSerializer(serializers.Serializer[Any]):
    activeAccounts = serializers.IntegerField()
    rootAsset = serializers.CharField()
    tradedVolumeSpotInRAT = _number()
    tradedVolumeCfdInRAT = _number()
    tradedVolumeTotalInRAT = _number()


class HistoryOrderSerializer(serializers.Serializer[Any]):
    marketId = serializers.CharField()
    orderId = serializers.CharField()
    timeInForce = serializers.ChoiceField(choices=enums.TimeInForce.choices)
    status = serializers.ChoiceField(choices=enums.OrderStatus.choices)
    source = serializers.ChoiceField(choices=enums.OrderSource.choices)  # type: ignore[assignment]  # the seed's name
    side = serializers.ChoiceField(choices=enums.Side.choices)
    orderType = serializers.ChoiceField(choices=enums.OrderType.choices)
    requestedAmount = _number()
    remainingAmount = _number()
    requestedPrice = _number()
    executionPrice = _number()
    hedge = serializers.IntegerField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    cancellationDate = serializers.DateTimeField(allow_null=True)
    commission = _number()
