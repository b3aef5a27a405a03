"""Back-office wallets API: currencies, rates, conversions, products, wallets, transactions, the journal."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.exports import ExportableViewSetMixin
from crm.core.api.permissions import require_perms
from crm.customers.models import Customer
from crm.wallets import services
from crm.wallets.api import serializers as s
from crm.wallets.api.common import (
    ERRORS,
    IDEMPOTENCY_HEADER,
    MONEY_ERRORS,
    STATEMENT_PARAMS,
    XLSX_RESPONSE,
    ActionPermissions,
    request_key,
    statement_response,
    validated,
)
from crm.wallets.api.filters import TransactionFilterSet, WalletFilterSet
from crm.wallets.models import (
    AccountGroup,
    Currency,
    CurrencyConversion,
    ExchangeRate,
    JournalEntry,
    Platform,
    Posting,
    Transaction,
    Wallet,
)


def _crud_schema(noun: str, plural: str, *, destroy: bool = False) -> dict[str, Any]:
    schemas = {
        "list": extend_schema(summary=f"List {plural}"),
        "retrieve": extend_schema(summary=f"Get a {noun}"),
        "create": extend_schema(summary=f"Create a {noun}"),
        "partial_update": extend_schema(summary=f"Update a {noun}"),
    }
    if destroy:
        schemas["destroy"] = extend_schema(summary=f"Delete a {noun}")
    return schemas


@extend_schema_view(**_crud_schema("currency", "currencies"))
@extend_schema(tags=["wallets"])
class CurrencyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Currency],
):  # fmt: skip
    """Currencies: code, name, minor units, kind, and whether clients may use them."""

    queryset = Currency.objects.all()
    serializer_class = s.CurrencySerializer
    permission_classes = [ActionPermissions]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return s.CurrencyUpdateSerializer if self.action == "partial_update" else s.CurrencySerializer

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.save_currency(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.save_currency(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )


@extend_schema_view(**_crud_schema("exchange rate", "exchange rates"))
@extend_schema(tags=["wallets"])
class ExchangeRateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet[ExchangeRate],
):  # fmt: skip
    """Exchange rates between currencies, and amount conversion at the current rate."""

    queryset = ExchangeRate.objects.all()
    serializer_class = s.ExchangeRateSerializer
    permission_classes = [ActionPermissions]
    action_permissions = {"convert": ("wallets.view_exchangerate",)}
    filterset_fields = ["from_currency", "to_currency", "source"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.save_exchange_rate(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.save_exchange_rate(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        summary="Convert an amount",
        description="Converts at the current rate, along the configured conversion path if there is one; "
        "the result is rounded down to the target currency's minor units.",
        parameters=[s.ConvertQuerySerializer],
        responses={200: s.ConversionResultSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def convert(self, request: Request) -> Response:
        query = validated(s.ConvertQuerySerializer, request.query_params)
        result = services.convert(query["amount"], query["source"], query["target"])
        return Response(s.ConversionResultSerializer(result).data)


@extend_schema_view(**_crud_schema("currency conversion", "currency conversions", destroy=True))
@extend_schema(tags=["wallets"])
class CurrencyConversionViewSet(viewsets.ModelViewSet[CurrencyConversion]):
    """Conversion paths: the chain of rates from a source to a target currency."""

    queryset = CurrencyConversion.objects.all()
    serializer_class = s.CurrencyConversionSerializer
    permission_classes = [ActionPermissions]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request=s.CurrencyConversionUpdateSerializer, responses={200: s.CurrencyConversionSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.CurrencyConversionUpdateSerializer, request.data)
        conversion = services.save_conversion(self.get_object(), actor=request.user, **values)
        return Response(self.get_serializer(conversion).data)

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.save_conversion(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance: CurrencyConversion) -> None:
        services.delete_conversion(instance, actor=self.request.user)


@extend_schema_view(**_crud_schema("platform", "platforms"))
@extend_schema(tags=["wallets"])
class PlatformViewSet(viewsets.ModelViewSet[Platform]):
    """Platforms accounts live on."""

    queryset = Platform.objects.all()
    serializer_class = s.PlatformSerializer
    permission_classes = [ActionPermissions]
    http_method_names = ["get", "post", "patch", "head", "options"]


@extend_schema_view(**_crud_schema("account group", "account groups"))
@extend_schema(tags=["wallets"])
class AccountGroupViewSet(viewsets.ModelViewSet[AccountGroup]):
    """Account groups (products): platform, currency, leverages."""

    queryset = AccountGroup.objects.select_related("platform")
    serializer_class = s.AccountGroupSerializer
    permission_classes = [ActionPermissions]
    filterset_fields = ["platform", "currency", "is_demo", "is_enabled"]
    http_method_names = ["get", "post", "patch", "head", "options"]


@extend_schema(tags=["wallets"])
class WalletSettingsViewSet(viewsets.GenericViewSet[AccountGroup]):
    """Settings of wallets: the default wallet a new client gets."""

    permission_classes = [require_perms("core.change_setting")]
    serializer_class = s.DefaultWalletSerializer
    queryset = AccountGroup.objects.none()

    @extend_schema(
        methods=["GET"],
        summary="Get the default wallet platform and group",
        description="Where sign-up opens a new client's first wallet; null when nothing is configured.",
        responses={200: s.DefaultWalletSerializer, **ERRORS},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Configure default wallet platform and group",
        description="Every client who signs up from now on gets a wallet in this group (its currency, its "
        "default leverage; a demo group's first start amount).",
        request=s.DefaultWalletInputSerializer,
        responses={200: s.DefaultWalletSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get", "put"], url_path="default-wallet")
    def default_wallet(self, request: Request) -> Response:
        if request.method == "PUT":
            values = validated(s.DefaultWalletInputSerializer, request.data)
            services.configure_default_wallet(actor=request.user, **values)
        group = services.default_wallet_group()
        return Response({"platform": group.platform.name if group else None, "group": group.name if group else None})


@extend_schema_view(
    list=extend_schema(summary="List wallets", description="Wallets of the clients the caller may see."),
    retrieve=extend_schema(summary="Get a wallet"),
    create=extend_schema(
        summary="Create a wallet",
        request=s.WalletCreateSerializer,
        responses={201: s.WalletSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Update a wallet",
        description="Group, leverage, caption and the deposit/withdrawal/transfer switches. "
        "A group change answers 409 while a money movement on the wallet is pending.",
        request=s.WalletUpdateSerializer,
        responses={200: s.WalletSerializer, **MONEY_ERRORS},
    ),
)
@extend_schema(tags=["wallets"])
class WalletViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Wallet],
):  # fmt: skip
    """Client wallets and trading accounts, scoped like the clients."""

    serializer_class = s.WalletSerializer
    filterset_class = WalletFilterSet
    filter_backends = [DjangoFilterBackend]
    permission_classes = [ActionPermissions]
    queryset = Wallet.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "enable": ("wallets.view_wallet", "wallets.enable_wallet"),
        "disable": ("wallets.view_wallet", "wallets.enable_wallet"),
        "balance": ("wallets.view_wallet",),
        "statement": ("wallets.view_wallet", "wallets.view_statement"),
        "statement_xlsx": ("wallets.view_wallet", "wallets.view_statement"),
        "movements": ("wallets.view_wallet", "wallets.create_manual_transaction"),
        "top_up_demo": ("wallets.view_wallet", "wallets.top_up_demo"),
    }

    def get_queryset(self) -> QuerySet[Wallet]:
        return Wallet.objects.visible_to(self.request.user).client_wallets().for_list()

    def create(self, request: Request) -> Response:
        values = validated(s.WalletCreateSerializer, request.data)
        customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=values.pop("customer"))
        wallet = services.create_wallet(customer, actor=request.user, **values)
        return Response(s.WalletSerializer(wallet).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.WalletUpdateSerializer, request.data)
        wallet = services.update_wallet(self.get_object(), actor=request.user, **values)
        return Response(s.WalletSerializer(self.get_queryset().get(pk=wallet.pk)).data)

    @extend_schema(summary="Enable a wallet", request=None, responses={200: s.WalletSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        wallet = services.set_wallet_enabled(self.get_object(), enabled=True, actor=request.user)
        return Response(s.WalletSerializer(self.get_queryset().get(pk=wallet.pk)).data)

    @extend_schema(summary="Disable a wallet", request=None, responses={200: s.WalletSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        wallet = services.set_wallet_enabled(self.get_object(), enabled=False, actor=request.user)
        return Response(s.WalletSerializer(self.get_queryset().get(pk=wallet.pk)).data)

    @extend_schema(summary="Get a wallet's balance", responses={200: s.WalletBalanceSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def balance(self, request: Request, pk: str | None = None) -> Response:
        return Response(s.WalletBalanceSerializer(self.get_object()).data)

    @extend_schema(
        summary="Get a wallet statement",
        description="Opening balance, every movement of the balance in [start, end), closing balance.",
        parameters=STATEMENT_PARAMS,
        responses={200: s.StatementSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def statement(self, request: Request, pk: str | None = None) -> Response:
        return Response(statement_response(self.get_object(), request, as_xlsx=False))

    @extend_schema(summary="Download a wallet statement as XLSX", parameters=STATEMENT_PARAMS, responses=XLSX_RESPONSE)
    @action(detail=True, methods=["get"], url_path="statement-xlsx", filter_backends=[])
    def statement_xlsx(self, request: Request, pk: str | None = None) -> Any:
        return statement_response(self.get_object(), request, as_xlsx=True)

    @extend_schema(
        summary="Enter a movement by hand",
        description="DEPOSIT, BONUS, DEPOSIT_BONUS, CORRECTION, FEE, COMMISSION_PAYOUT, AFFILIATE_TRANSFER, "
        "COINS_EXCHANGE post at once (above the second-approval amount they wait for another approver); "
        "WITHDRAWAL puts the amount on hold and waits for approval like a client's request.",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.MovementCreateSerializer,
        responses={201: s.TransactionSerializer, **MONEY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def movements(self, request: Request, pk: str | None = None) -> Response:
        wallet = self.get_object()
        values = validated(s.MovementCreateSerializer, request.data)
        kind = values.pop("type")
        if kind == Transaction.Type.WITHDRAWAL:
            txn = services.request_withdrawal(
                # Client wallets only (get_queryset): the wallet has a client.
                wallet.customer, wallet=wallet, amount=values["amount"], actor=request.user,  # type: ignore[arg-type]
                method=values["method"] or "manual", comment=values["comment"], request_key=request_key(request),
            )  # fmt: skip
        else:
            txn = services.create_movement(
                wallet, kind=kind, actor=request.user, request_key=request_key(request), **values
            )
        return Response(s.TransactionSerializer(txn).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Top up a demo wallet", request=s.TopUpSerializer, responses={200: s.WalletBalanceSerializer}
    )
    @action(detail=True, methods=["post"], url_path="top-up-demo")
    def top_up_demo(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.TopUpSerializer, request.data)
        txn = services.top_up_demo(self.get_object(), amount=values["amount"], actor=request.user)
        return Response(s.WalletBalanceSerializer(Wallet.objects.get(pk=txn.wallet_id)).data)


@extend_schema_view(
    list=extend_schema(summary="List transactions", description="Transactions of the clients the caller may see."),
    retrieve=extend_schema(summary="Get a transaction"),
)
@extend_schema(tags=["wallets"])
class TransactionViewSet(ExportableViewSetMixin, viewsets.ReadOnlyModelViewSet[Transaction]):
    """Transactions and the Finance steps: approve, reject, refund."""

    serializer_class = s.TransactionSerializer
    filterset_class = TransactionFilterSet
    filter_backends = [DjangoFilterBackend]
    permission_classes = [ActionPermissions]
    queryset = Transaction.objects.none()
    export_permission = "wallets.export_transaction"
    action_permissions = {
        "approve": ("wallets.view_transaction", "wallets.approve_transaction"),
        "reject": ("wallets.view_transaction", "wallets.approve_transaction"),
        "refund": ("wallets.view_transaction", "wallets.refund_transaction"),
        "charge_back": ("wallets.view_transaction", "wallets.refund_transaction"),
    }

    def get_queryset(self) -> QuerySet[Transaction]:
        return Transaction.objects.visible_to(self.request.user).select_related("currency")

    def _answer(self, txn: Transaction) -> Response:
        return Response(s.TransactionSerializer(Transaction.objects.get(pk=txn.pk)).data)

    @extend_schema(
        summary="Approve a transaction",
        description="Withdrawals (optionally with a lower `changed_amount`) and movements entered by hand. "
        "Answers 403 `four_eyes_required` to whoever requested or created it or approved it already.",
        request=s.TransactionApproveSerializer,
        responses={200: s.TransactionSerializer, **MONEY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.TransactionApproveSerializer, request.data)
        txn = services.approve_transaction(
            self.get_object(), actor=request.user, amount=values.get("changed_amount"), comment=values["comment"]
        )
        return self._answer(txn)

    @extend_schema(
        summary="Reject a transaction",
        description="A pending withdrawal's hold goes back to the balance.",
        request=s.TransactionRejectSerializer,
        responses={200: s.TransactionSerializer, **MONEY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.TransactionRejectSerializer, request.data)
        return self._answer(
            services.reject_transaction(self.get_object(), actor=request.user, reason=values["reason"])
        )

    @extend_schema(
        summary="Refund a withdrawal or a deposit",
        description="A withdrawal: its money goes back to the wallet (a completed one, or an approved one no "
        "provider pays out; otherwise 409 `payout_under_way`). A completed deposit: the whole amount goes back to "
        "the payer (status `refunded`, event `deposit.refunded`); what the wallet no longer holds is booked as a "
        "loss. Refunding again changes nothing.",
        request=s.TransactionRefundSerializer,
        responses={200: s.TransactionSerializer, **MONEY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.TransactionRefundSerializer, request.data)
        return self._answer(
            services.refund_transaction(self.get_object(), actor=request.user, comment=values["comment"])
        )

    @extend_schema(
        summary="Record a chargeback of a deposit",
        description="The payer's bank took a completed deposit back (status `charged_back`, event "
        "`deposit.charged_back`); money moves as for a refund. Recording it again changes nothing.",
        request=s.TransactionChargebackSerializer,
        responses={200: s.TransactionSerializer, **MONEY_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="charge-back")
    def charge_back(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.TransactionChargebackSerializer, request.data)
        return self._answer(
            services.charge_back_deposit(self.get_object(), actor=request.user, reason=values["reason"])
        )


@extend_schema_view(list=extend_schema(summary="List journal entries"), retrieve=extend_schema(summary="Get an entry"))
@extend_schema(tags=["wallets"])
class JournalEntryViewSet(viewsets.ReadOnlyModelViewSet[JournalEntry]):
    """The double-entry journal, read-only, with each entry's postings."""

    serializer_class = s.JournalEntrySerializer
    permission_classes = [ActionPermissions]
    queryset = JournalEntry.objects.none()
    filterset_fields = ["kind", "transaction"]

    def get_queryset(self) -> QuerySet[JournalEntry]:
        return JournalEntry.objects.visible_to(self.request.user).prefetch_related(
            Prefetch("postings", queryset=Posting.objects.order_by("id"))
        )
