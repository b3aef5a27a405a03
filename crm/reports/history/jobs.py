"""The history server's read models as report kinds (001 `/api/reports`): a run's file is the read model's rows.

A history kind's parameters are the read model's own query: `filters` (`filters[]{entryType, field, value}`) and
`sort` (`{field, column, direction}`), checked by `crm.reports.history.query` when the report is asked for and
applied, as its owner may see the data, when the file is built. `SOURCE_OF` names each kind as the seed's
`source` (PascalCase); the operation's permissions are needed to ask for it, as for the read model's path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from crm.core.api.errors import flatten_errors
from crm.core.exceptions import DomainError
from crm.reports.history import query, sources
from crm.reports.history.numbers import rates_to_root
from crm.reports.history.query import FilterSerializer, SortSerializer
from crm.reports.models import ReportKind
from crm.reports.scope import scope_for
from crm.trading.compat.backoffice.authentication import OPERATIONS
from crm.trading.compat.backoffice.transfers import VIEW_TRANSFERS

CHUNK_SIZE = 2000


class SourceName(models.TextChoices):
    """The seed's report `source`: the read model a report is made from."""

    TRADES = "Trades"
    ORDERS = "Orders"
    OPEN_ORDERS = "OpenOrders"
    TRANSFERS = "Transfers"
    USER_BALANCES = "UserBalances"
    ACCOUNT_BALANCES = "AccountBalances"
    COMMISSIONS_USERS = "CommissionsUsers"
    COMMISSIONS_ACCOUNTS = "CommissionsAccounts"
    COMMISSIONS_ASSETS = "CommissionsAssets"
    COMMISSIONS_USERS_ASSETS = "CommissionsUsersAssets"
    COMMISSIONS_ACCOUNTS_ASSETS = "CommissionsAccountsAssets"
    MARKUP_REVENUE = "MarkupRevenue"


class FileFormat(models.TextChoices):
    """The seed's report `format` (our `ReportFormat` in capitals)."""

    XLSX = "XLSX"
    CSV = "CSV"


class StatusType(models.TextChoices):
    """The seed's report `statusType`: `New` (waiting), `InProcess`, `Completed` (downloadable), `Failed`."""

    NEW = "New"
    IN_PROCESS = "InProcess"
    COMPLETED = "Completed"
    FAILED = "Failed"


class Frequency(models.TextChoices):
    """The seed's template `schedule.frequency`."""

    DAILY = "Daily"
    WEEKLY = "Weekly"
    MONTHLY = "Monthly"


STATUS_TYPE_OF = {
    "pending": StatusType.NEW,
    "running": StatusType.IN_PROCESS,
    "done": StatusType.COMPLETED,
    "failed": StatusType.FAILED,
}


@dataclass(frozen=True)
class HistoryReport:
    kind: str
    source_name: str  # the seed's `source`
    title: str
    source: sources.Source
    permissions: tuple[str, ...]

    @property
    def headers(self) -> list[str]:
        return list(self.source.keys)

    def queryset(self, owner: Any, params: dict[str, Any]) -> QuerySet[Any]:
        """The read model's rows the owner may see, filtered and sorted as asked."""
        where = query.conditions(self.source.fields, params.get("filters") or [])
        rows = self.source.build(scope_for(owner), where, rates_to_root())
        return rows.order_by(*query.ordering(self.source.sortable, params.get("sort"), self.source.default_order))

    def rows(self, queryset: QuerySet[Any]) -> Iterator[list[Any]]:
        keys = self.source.keys
        for values in queryset.iterator(chunk_size=CHUNK_SIZE):
            yield [values[f"h_{key}"] for key in keys]


def _report(kind: str, name: str, title: str, source: sources.Source, op: str, *extra: str) -> HistoryReport:
    return HistoryReport(kind, name, title, source, (*OPERATIONS[op], *extra))


K = ReportKind
REPORTS: dict[str, HistoryReport] = {
    report.kind: report
    for report in (
        _report(K.H_TRADES, "Trades", gettext_noop("Trades"), sources.TRADES, "view-trades"),
        _report(K.H_ORDERS, "Orders", gettext_noop("Orders"), sources.ORDERS, "view-orders"),
        _report(K.H_OPEN_ORDERS, "OpenOrders", gettext_noop("Open orders"), sources.OPEN_ORDERS, "view-orders"),
        _report(
            K.H_TRANSFERS, "Transfers", gettext_noop("Transfers"), sources.TRANSFERS, "view-transfers", *VIEW_TRANSFERS
        ),
        _report(
            K.H_USER_BALANCES, "UserBalances", gettext_noop("Balances per user"), sources.USER_BALANCES,
            "view-balances",
        ),
        _report(
            K.H_ACCOUNT_BALANCES, "AccountBalances", gettext_noop("Balances per account"), sources.ACCOUNT_BALANCES,
            "view-balances",
        ),
        _report(
            K.H_COMMISSIONS_USERS, "CommissionsUsers", gettext_noop("Commission per user"),
            sources.COMMISSIONS_USERS, "view-commissions",
        ),
        _report(
            K.H_COMMISSIONS_ACCOUNTS, "CommissionsAccounts", gettext_noop("Commission per account"),
            sources.COMMISSIONS_ACCOUNTS, "view-commissions",
        ),
        _report(
            K.H_COMMISSIONS_ASSETS, "CommissionsAssets", gettext_noop("Commission per asset"),
            sources.COMMISSIONS_ASSETS, "view-commissions",
        ),
        _report(
            K.H_COMMISSIONS_USERS_ASSETS, "CommissionsUsersAssets", gettext_noop("Commission per user and asset"),
            sources.COMMISSIONS_USERS_ASSETS, "view-commissions",
        ),
        _report(
            K.H_COMMISSIONS_ACCOUNTS_ASSETS, "CommissionsAccountsAssets",
            gettext_noop("Commission per account and asset"), sources.COMMISSIONS_ACCOUNTS_ASSETS, "view-commissions",
        ),
        _report(
            K.H_MARKUP_REVENUE, "MarkupRevenue", gettext_noop("Markup revenue"), sources.MARKUP_REVENUE,
            "view-markup-revenue",
        ),
    )
}  # fmt: skip
KIND_OF = {report.source_name: report.kind for report in REPORTS.values()}


class HistoryParamsSerializer(serializers.Serializer[Any]):
    """A history report's parameters: the read model's `filters[]` and `sort` (the history server's query language)."""

    filters = FilterSerializer(many=True, required=False, default=list)
    sort = SortSerializer(required=False, allow_null=True, default=None)


def clean_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """`filters` and `sort` checked as the 001 endpoints check them (their serializers, then the read model's fields
    and operators); DomainError with the query language's field errors. The 001 `/api/reports` and the back
    office's report runs and templates (admin and API) all come through here."""
    report = REPORTS[kind]
    unknown = sorted(set(params) - {"filters", "sort"})
    if unknown:
        raise DomainError(
            _("The report's parameters are not valid."),
            code="invalid",
            fields={name: [_("Not a parameter of this report.")] for name in unknown},
        )
    payload = HistoryParamsSerializer(data=params)
    try:
        payload.is_valid(raise_exception=True)
        filters = [dict(item) for item in payload.validated_data["filters"]]
        sort = dict(payload.validated_data["sort"]) if payload.validated_data["sort"] else None
        query.conditions(report.source.fields, filters)
        query.ordering(report.source.sortable, sort, report.source.default_order)
    except ValidationError as exc:
        raise DomainError(
            _("The report's parameters are not valid."), code="invalid", fields=flatten_errors(exc.detail)
        ) from exc
    return {"filters": filters, **({"sort": sort} if sort else {})}
