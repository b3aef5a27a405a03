"""Portal wallets API: the client's own wallets, balances, statements, transactions and transfers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.api.permissions import IsPortalCustomer, portal_customer
from crm.wallets import services
from crm.wallets.api import serializers as s
from crm.wallets.api.common import (
    ERRORS,
    IDEMPOTENCY_HEADER,
    MONEY_ERRORS,
    STATEMENT_PARAMS,
    XLSX_RESPONSE,
    request_key,
    statement_response,
    validated,
)
from crm.wallets.api.filters import PortalTransactionFilterSet
from crm.wallets.models import AccountGroup, Transaction, Wallet


@extend_schema_view(
    list=extend_schema(summary="List my wallets"),
    retrieve=extend_schema(summary="Get one of my wallets"),
    create=extend_schema(
        summary="Open a wallet",
        description="A live or demo wallet in a currency; the default account group of that currency is used.",
        request=s.PortalWalletCreateSerializer,
        responses={201: s.PortalWalletSerializer, **ERRORS},
    ),
)
@extend_schema(tags=["portal: wallets"])
class PortalWalletViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[Wallet]
):
    """The client's wallets; another client's wallet answers 404."""

    serializer_class = s.PortalWalletSerializer
    permission_classes = [IsPortalCustomer]
    queryset = Wallet.objects.none()

    def get_queryset(self) -> QuerySet[Wallet]:
        return (
            Wallet.objects.of_customer(portal_customer(self.request))
            .select_related("platform", "group")
            .order_by("pk")
        )

    def create(self, request: Request) -> Response:
        values = validated(s.PortalWalletCreateSerializer, request.data)
        wallet = services.open_client_wallet(portal_customer(request), actor=request.user, **values)
        return Response(s.PortalWalletSerializer(self.get_queryset().get(pk=wallet.pk)).data, status=201)

    @extend_schema(summary="Get my wallet's balance", responses={200: s.WalletBalanceSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def balance(self, request: Request, pk: str | None = None) -> Response:
        return Response(s.WalletBalanceSerializer(self.get_object()).data)

    @extend_schema(
        summary="Get the balances of all my wallets",
        responses={200: s.WalletBalanceSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def balances(self, request: Request) -> Response:
        return Response(s.WalletBalanceSerializer(self.get_queryset(), many=True).data)

    @extend_schema(
        summary="Get the leverages I may choose",
        responses={
            200: inline_serializer("Leverages", {"leverages": serializers.ListField(child=serializers.IntegerField())})
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def leverages(self, request: Request) -> Response:
        found: set[int] = set()
        for values in AccountGroup.objects.filter(is_enabled=True).values_list("leverages", flat=True):
            found.update(v for v in values or [] if isinstance(v, int))
        return Response({"leverages": sorted(found)})

    @extend_schema(
        summary="Get my wallet's statement",
        description="Opening balance, every movement in [start, end) with the running balance, closing balance.",
        parameters=STATEMENT_PARAMS,
        responses={200: s.StatementSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def statement(self, request: Request, pk: str | None = None) -> Response:
        return Response(statement_response(self.get_object(), request, as_xlsx=False))

    @extend_schema(
        summary="Download my wallet's statement as XLSX", parameters=STATEMENT_PARAMS, responses=XLSX_RESPONSE
    )
    @action(detail=True, methods=["get"], url_path="statement-xlsx")
    def statement_xlsx(self, request: Request, pk: str | None = None) -> Any:
        return statement_response(self.get_object(), request, as_xlsx=True)

    @extend_schema(
        summary="Top up my demo wallet",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.TopUpSerializer,
        responses={200: s.WalletBalanceSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="top-up-demo")
    def top_up_demo(self, request: Request, pk: str | None = None) -> Response:
        values = validated(s.TopUpSerializer, request.data)
        wallet = self.get_object()
        services.top_up_demo(wallet, amount=values["amount"], actor=request.user, request_key=request_key(request))
        return Response(s.WalletBalanceSerializer(self.get_queryset().get(pk=wallet.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="List my transactions"),
    retrieve=extend_schema(summary="Get one of my transactions"),
)
@extend_schema(tags=["portal: wallets"])
class PortalTransactionViewSet(viewsets.ReadOnlyModelViewSet[Transaction]):
    """The client's transactions; cancelling a withdrawal nobody approved yet."""

    serializer_class = s.PortalTransactionSerializer
    permission_classes = [IsPortalCustomer]
    filterset_class = PortalTransactionFilterSet
    filter_backends = [DjangoFilterBackend]
    queryset = Transaction.objects.none()

    def get_queryset(self) -> QuerySet[Transaction]:
        return Transaction.objects.filter(customer=portal_customer(self.request))

    @extend_schema(
        summary="Cancel my pending withdrawal",
        request=None,
        responses={200: s.PortalTransactionSerializer, **MONEY_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        txn = services.cancel_withdrawal(self.get_object(), actor=request.user)
        return Response(s.PortalTransactionSerializer(txn).data)


@extend_schema(tags=["portal: wallets"])
class PortalTransferViewSet(viewsets.GenericViewSet[Wallet]):
    """Transfers between the client's own wallets."""

    permission_classes = [IsPortalCustomer]
    serializer_class = s.TransferCreateSerializer
    queryset = Wallet.objects.none()

    @extend_schema(
        summary="Transfer between my wallets",
        description="Across currencies the target receives the amount at the current rate, rounded down.",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.TransferCreateSerializer,
        responses={201: s.PortalTransactionSerializer, **MONEY_ERRORS},
    )
    def create(self, request: Request) -> Response:
        values = validated(s.TransferCreateSerializer, request.data)
        customer = portal_customer(request)
        mine = Wallet.objects.of_customer(customer)
        source = get_object_or_404(mine, pk=values["source_wallet"])
        target = get_object_or_404(mine, pk=values["target_wallet"])
        txn = services.transfer_between_wallets(
            customer, source=source, target=target, amount=values["amount"], actor=request.user,
            request_key=request_key(request),
        )  # fmt: skip
        return Response(s.PortalTransactionSerializer(txn).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["portal: wallets"])
class PortalExchangeRateViewSet(viewsets.GenericViewSet[Wallet]):
    """What an amount is worth in another currency at the current rate."""

    permission_classes = [IsPortalCustomer]
    serializer_class = s.ConversionResultSerializer
    queryset = Wallet.objects.none()

    @extend_schema(
        summary="Convert an amount",
        parameters=[s.ConvertQuerySerializer],
        responses={200: s.ConversionResultSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def convert(self, request: Request) -> Response:
        query = validated(s.ConvertQuerySerializer, request.query_params)
        return Response(
            s.ConversionResultSerializer(services.convert(query["amount"], query["source"], query["target"])).data
        )
