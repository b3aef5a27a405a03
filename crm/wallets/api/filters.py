"""Filters of the wallets and transactions lists (000 "Get wallets", "Get transactions")."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework.request import Request

from crm.core.api.filters import IsoDateTimeFilter
from crm.wallets.models import AccountGroup, Currency, Transaction, Wallet


def currencies(request: Request | None) -> QuerySet[Currency]:
    return Currency.objects.all()


def groups(request: Request | None) -> QuerySet[AccountGroup]:
    return AccountGroup.objects.all()


class WalletFilterSet(filters.FilterSet):
    search = filters.CharFilter(method="filter_search", label=_("Wallet number or client email starts with"))
    currencies = filters.ModelMultipleChoiceFilter(field_name="currency", queryset=currencies)  # type: ignore[arg-type]  # django-filter takes a callable
    group_id = filters.ModelMultipleChoiceFilter(field_name="group", queryset=groups)  # type: ignore[arg-type]  # django-filter takes a callable
    customer_id = filters.NumberFilter(field_name="customer")
    leverage_from = filters.NumberFilter(field_name="leverage", lookup_expr="gte")
    leverage_to = filters.NumberFilter(field_name="leverage", lookup_expr="lte")
    type = filters.MultipleChoiceFilter(choices=Wallet.Type.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Wallet
        fields = ["is_demo", "is_enabled"]

    def filter_search(self, queryset: QuerySet[Wallet], name: str, value: str) -> QuerySet[Wallet]:
        value = value.strip()
        return queryset.filter(Q(number__startswith=value.upper()) | Q(customer__email__startswith=value.lower()))


class TransactionFilterSet(filters.FilterSet):
    type = filters.MultipleChoiceFilter(choices=Transaction.Type.choices)
    status = filters.MultipleChoiceFilter(choices=Transaction.Status.choices)
    currencies = filters.ModelMultipleChoiceFilter(field_name="currency", queryset=currencies)  # type: ignore[arg-type]  # django-filter takes a callable
    customer_id = filters.NumberFilter(field_name="customer")
    wallet_id = filters.NumberFilter(method="filter_wallet")
    amount_from = filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_to = filters.NumberFilter(field_name="amount", lookup_expr="lte")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    awaiting_approval = filters.BooleanFilter(method="filter_awaiting", label=_("Pending withdrawals and movements"))

    class Meta:
        model = Transaction
        fields = ["is_ftd", "provider", "method"]

    def filter_wallet(self, queryset: QuerySet[Transaction], name: str, value: int) -> QuerySet[Transaction]:
        return queryset.filter(Q(wallet_id=value) | Q(counter_wallet_id=value))

    def filter_awaiting(self, queryset: QuerySet[Transaction], name: str, value: bool) -> QuerySet[Transaction]:
        pending = Q(status=Transaction.Status.PENDING)
        return queryset.filter(pending) if value else queryset.exclude(pending)


class PortalTransactionFilterSet(filters.FilterSet):
    type = filters.MultipleChoiceFilter(choices=Transaction.Type.choices)
    status = filters.MultipleChoiceFilter(choices=Transaction.Status.choices)
    wallet_id = filters.NumberFilter(method="filter_wallet", label=_("Moving money into or out of this wallet"))
    created_after = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Created at or after (ISO 8601)")
    )
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("Created before"))

    class Meta:
        model = Transaction
        fields: list[str] = []

    def filter_wallet(self, queryset: QuerySet[Transaction], name: str, value: int) -> QuerySet[Transaction]:
        return queryset.filter(Q(wallet_id=value) | Q(counter_wallet_id=value))
