"""Serializers of the reports API: the dashboard, report rows (one per report), runs and templates."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.core.money import DecimalPlaces
from crm.reports.history.query import FilterSerializer, SortSerializer
from crm.reports.models import ReportFormat, ReportKind, ReportRun, ReportTemplate
from crm.reports.periods import Period, PeriodError

MONEY: DecimalPlaces = {"max_digits": 28, "decimal_places": 8}


class PeriodQuerySerializer(serializers.Serializer[Any]):
    start = serializers.DateField(required=False, help_text="First day, in the broker's time zone.")
    end = serializers.DateField(required=False, help_text="Last day, included.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end"):
            try:
                Period(first=attrs["start"], last=attrs["end"])
            except PeriodError as exc:
                raise serializers.ValidationError({"end": [str(exc)]}) from exc
        return attrs


# Dashboard -----------------------------------------------------------------------------


class DashboardFigureSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label" shadows Field.label
    current = serializers.IntegerField(help_text="In the chosen period.")
    previous = serializers.IntegerField(help_text="In the period of the same length just before.")
    change = serializers.IntegerField(allow_null=True, help_text="Percent change; null when previous is 0.")
    description = serializers.CharField(help_text="What the figure counts.")


class MoneyRowSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    deposits = serializers.DecimalField(**MONEY)
    withdrawals = serializers.DecimalField(**MONEY)
    net_deposits = serializers.DecimalField(**MONEY)
    previous_deposits = serializers.DecimalField(**MONEY)
    previous_withdrawals = serializers.DecimalField(**MONEY)
    previous_net_deposits = serializers.DecimalField(**MONEY)


class TradingRowSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField(help_text="The trading accounts' currency.")
    trades = serializers.IntegerField(help_text="Executions in the chosen period.")
    previous_trades = serializers.IntegerField()
    volume = serializers.DecimalField(**MONEY, help_text="Lots of all executions.")
    previous_volume = serializers.DecimalField(**MONEY)
    profit = serializers.DecimalField(**MONEY, help_text="Clients' realised profit (negative: a loss).")
    previous_profit = serializers.DecimalField(**MONEY)
    commission = serializers.DecimalField(**MONEY, help_text="Commissions charged.")
    previous_commission = serializers.DecimalField(**MONEY)


class SeriesSerializer(serializers.Serializer[Any]):
    days = serializers.ListField(child=serializers.DateField(), help_text="The days of the chosen period.")
    current = serializers.ListField(child=serializers.IntegerField(), help_text="Per day of the chosen period.")
    previous = serializers.ListField(
        child=serializers.IntegerField(), help_text="Per day of the previous period, aligned with `days`."
    )


class BreakdownRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label" shadows Field.label
    counts = serializers.DictField(child=serializers.IntegerField())


class StaffDashboardSerializer(serializers.Serializer[Any]):
    start = serializers.DateField()
    end = serializers.DateField()
    previous_start = serializers.DateField()
    previous_end = serializers.DateField()
    scope = serializers.CharField(help_text="Whose book is counted: all, your desks, or your own.")
    figures = DashboardFigureSerializer(many=True)
    money = MoneyRowSerializer(many=True, help_text="Per currency, not converted.")
    pending = serializers.DictField(
        child=serializers.DictField(child=serializers.DecimalField(**MONEY)),
        help_text="Waiting now: `withdrawals` and `payout_requests`, each currency -> amount.",
    )
    commissions = serializers.DictField(
        child=serializers.DictField(child=serializers.DecimalField(**MONEY)),
        help_text="Commissions on actions of the period: status -> currency -> amount.",
    )
    trading = TradingRowSerializer(many=True, help_text="Live accounts' executions per account currency.")
    series = serializers.DictField(
        child=SeriesSerializer(), help_text="Per day: registrations, ftds, leads, deposits, trades."
    )
    breakdowns = serializers.DictField(
        child=BreakdownRowSerializer(many=True),
        help_text="Top 10 by country, source, agent, affiliate (clients) and desk, lead_agent (leads).",
    )


# Report rows ---------------------------------------------------------------------------


class BalanceRowSerializer(serializers.Serializer[Any]):
    wallet_id = serializers.IntegerField()
    wallet_number = serializers.CharField(source="wallet__number")
    wallet_type = serializers.CharField(source="wallet__type")
    currency = serializers.CharField(source="currency_id")
    client_id = serializers.IntegerField(source="wallet__customer_id")
    first_name = serializers.CharField(source="wallet__customer__first_name")
    last_name = serializers.CharField(source="wallet__customer__last_name")
    opening = serializers.DecimalField(**MONEY, help_text="Balance at the start of the period.")
    money_in = serializers.DecimalField(**MONEY)
    money_out = serializers.DecimalField(**MONEY, help_text="Negative.")
    closing = serializers.DecimalField(**MONEY, help_text="Balance at the end of the period.")


class ProfitLossRowSerializer(serializers.Serializer[Any]):
    account_id = serializers.IntegerField()
    account_number = serializers.CharField(source="account__number")
    currency = serializers.CharField(source="account__currency_id")
    client_id = serializers.IntegerField(source="account__customer_id")
    first_name = serializers.CharField(source="account__customer__first_name")
    last_name = serializers.CharField(source="account__customer__last_name")
    trades = serializers.IntegerField(help_text="Executions (opening and closing deals) in the period.")
    closing_trades = serializers.IntegerField(help_text="Closing deals in the period.")
    volume = serializers.DecimalField(max_digits=28, decimal_places=8, help_text="Lots of all executions.")
    profit = serializers.DecimalField(
        **MONEY, source="realised", help_text="The client's realised profit (negative: a loss)."
    )
    commission = serializers.DecimalField(**MONEY, source="commissions", help_text="Commissions charged.")
    compensation = serializers.DecimalField(
        **MONEY, source="compensations", help_text="Loss the broker bore (negative balance protection)."
    )
    net = serializers.DecimalField(**MONEY, help_text="Profit less commissions.")


class AffiliationRowSerializer(serializers.Serializer[Any]):
    affiliate_id = serializers.IntegerField(source="pk")
    client_id = serializers.IntegerField(source="customer_id")
    first_name = serializers.CharField(source="customer__first_name")
    last_name = serializers.CharField(source="customer__last_name")
    status = serializers.CharField()
    currency = serializers.CharField(source="currency_id")
    signups = serializers.IntegerField(help_text="Direct referrals registered in the period.")
    ftds = serializers.IntegerField(help_text="Direct referrals whose first deposit was in the period.")
    pending = serializers.DecimalField(**MONEY)
    approved = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)
    pending_payouts = serializers.DecimalField(**MONEY)


class TransactionRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    created_at = serializers.DateTimeField()
    type = serializers.CharField()
    status = serializers.CharField()
    client_id = serializers.IntegerField(source="customer_id", allow_null=True)
    first_name = serializers.CharField(source="customer__first_name", allow_null=True)
    last_name = serializers.CharField(source="customer__last_name", allow_null=True)
    wallet_number = serializers.CharField(source="wallet__number")
    currency = serializers.CharField(source="currency_id")
    amount = serializers.DecimalField(**MONEY)
    fee = serializers.DecimalField(**MONEY)
    method = serializers.CharField()
    provider = serializers.CharField()
    provider_reference = serializers.CharField()
    comment = serializers.CharField()


# Runs and templates --------------------------------------------------------------------


class ReportTemplateParamsSerializer(serializers.Serializer[Any]):
    """A report's parameters (a template's: each run adds its period). A period report takes `sortBy` and its
    filters; a history server kind (`h.`) takes `filters` and `sort` in the history server's query language."""

    sortBy = serializers.CharField(required=False, help_text="A sort key of the report; `-` first for descending.")
    type = serializers.ListField(child=serializers.CharField(), required=False, help_text="Transactions only.")
    status = serializers.ListField(child=serializers.CharField(), required=False, help_text="Transactions only.")
    filters = FilterSerializer(many=True, required=False, help_text="History server kinds only; all applied.")
    sort = SortSerializer(required=False, allow_null=True, help_text="History server kinds only.")


class ReportParamsSerializer(ReportTemplateParamsSerializer):
    """A report's parameters: a period report's period (`start`..`end`, the end included), `sortBy` and filters;
    a history server kind's (`h.`) `filters` and `sort`, with no period."""

    start = serializers.DateField(required=False, help_text="Period reports (required for them): the first day.")
    end = serializers.DateField(required=False, help_text="Period reports (required for them): the last day.")


@extend_schema_field(ReportParamsSerializer)
class ReportParamsField(serializers.DictField):
    """A run's parameters as stored, checked by `services.clean_params` for the run's kind."""


@extend_schema_field(ReportTemplateParamsSerializer)
class ReportTemplateParamsField(serializers.DictField):
    """A template's parameters as stored, checked by `services.clean_params` for the template's kind."""


class ReportRunSerializer(serializers.ModelSerializer[ReportRun]):
    percent = serializers.IntegerField(read_only=True, help_text="Progress from 0 to 100.")
    params = ReportParamsField(
        read_only=True, help_text="A period report's `start`, `end`, `sortBy` and filters; a history kind's `filters` "
        "and `sort` (the history server's query language)."
    )  # fmt: skip
    notify_emails = serializers.ListField(child=serializers.EmailField(), read_only=True)

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "kind",
            "name",
            "params",
            "file_format",
            "notify_emails",
            "template",
            "status",
            "attempts",
            "rows_done",
            "rows_total",
            "percent",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
        ]
        read_only_fields = fields


class ReportRunCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    params = ReportParamsField(
        help_text="A period report: `start`, `end` (dates, end included), `sortBy`, and filters. A history kind "
        "(`h.`): `filters` and `sort` in the history server's query language."
    )
    file_format = serializers.ChoiceField(choices=ReportFormat.choices, default=ReportFormat.XLSX)
    notify_emails = serializers.ListField(child=serializers.EmailField(), max_length=20, default=list)


class DownloadLinkSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(help_text="Opens the file without other credentials; for this file only.")
    expires_in = serializers.IntegerField(help_text="Seconds the link stays valid.")


class ReportTemplateSerializer(serializers.ModelSerializer[ReportTemplate]):
    notify_emails = serializers.ListField(child=serializers.EmailField(), max_length=20, required=False)
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        max_length=7,
        required=False,
        help_text="Weekly: ISO weekdays (1 = Monday); empty means the base date's weekday.",
    )
    params = ReportTemplateParamsField(
        required=False,
        help_text="A period report: `sortBy` and filters (each run covers the `period_days` up to the day before). "
        "A history kind (`h.`): `filters` and `sort` in the history server's query language.",
    )

    class Meta:
        model = ReportTemplate
        fields = [
            "id",
            "name",
            "kind",
            "params",
            "period_days",
            "file_format",
            "notify_emails",
            "frequency",
            "days_of_week",
            "base_date",
            "next_run_at",
            "last_run_at",
            "is_enabled",
            "created_at",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = ["id", "next_run_at", "last_run_at", "created_at", "updated_at", "updated_by"]
