"""Payments API: methods offered to the client, deposits, withdrawals, whitelisted addresses (portal);
providers, methods, groups, whitelists and webhooks (back office)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.api.permissions import IsPortalCustomer, portal_customer
from crm.customers.models import Customer
from crm.payments import services
from crm.payments.api import serializers as s
from crm.payments.models import (
    PaymentMethod,
    PaymentMethodGroup,
    PaymentProvider,
    WebhookEvent,
    WhitelistedAddress,
)
from crm.wallets.api.common import ERRORS, IDEMPOTENCY_HEADER, MONEY_ERRORS, ActionPermissions, request_key, validated
from crm.wallets.api.serializers import PortalTransactionSerializer
from crm.wallets.models import Transaction, Wallet

# Portal ---------------------------------------------------------------------------------------


@extend_schema(tags=["portal: payments"])
class PortalPaymentMethodViewSet(viewsets.GenericViewSet):
    """Payment methods offered to the client by country, type and currency."""

    pagination_class = None  # answers plain arrays

    permission_classes = [IsPortalCustomer]
    serializer_class = s.PortalPaymentMethodSerializer
    queryset = PaymentMethod.objects.none()

    @extend_schema(
        summary="List the payment methods I may use",
        parameters=[s.PaymentMethodQuerySerializer],
        responses={200: s.PortalPaymentMethodSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request) -> Response:
        query = validated(s.PaymentMethodQuerySerializer, request.query_params)
        methods = services.offered_methods(
            portal_customer(request), direction=query["type"], currency=query.get("currency")
        ).prefetch_related("groups", "limits")
        return Response(s.PortalPaymentMethodSerializer(methods, many=True).data)


def _own(request: Request, *, method_id: int, wallet_id: int, direction: str) -> tuple[PaymentMethod, Wallet]:
    method = get_object_or_404(PaymentMethod.objects.select_related("provider"), pk=method_id, direction=direction)
    wallet = get_object_or_404(
        Wallet.objects.of_customer(portal_customer(request)).select_related("currency"), pk=wallet_id
    )
    return method, wallet


@extend_schema(tags=["portal: payments"])
class PortalDepositViewSet(viewsets.GenericViewSet):
    """Deposits the client starts; the provider confirms them by webhook."""

    permission_classes = [IsPortalCustomer]
    serializer_class = s.DepositCreateSerializer
    queryset = PaymentMethod.objects.none()

    @extend_schema(
        summary="Start a deposit",
        description="Creates a pending deposit and returns where to pay. The wallet is credited when the provider "
        "confirms the payment.",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.DepositCreateSerializer,
        responses={201: s.DepositSerializer, **MONEY_ERRORS},
    )
    def create(self, request: Request) -> Response:
        values = validated(s.DepositCreateSerializer, request.data)
        method, wallet = _own(request, method_id=values["method"], wallet_id=values["wallet"], direction="deposit")
        payment = services.start_deposit(
            portal_customer(request), method=method, wallet=wallet, amount=values["amount"], actor=request.user,
            request_key=request_key(request),
        )  # fmt: skip
        return Response(s.DepositSerializer(payment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["portal: payments"])
class PortalWithdrawalViewSet(viewsets.GenericViewSet):
    """Withdrawals the client requests: the amount goes on hold at once."""

    permission_classes = [IsPortalCustomer]
    serializer_class = s.WithdrawalCreateSerializer
    queryset = PaymentMethod.objects.none()

    @extend_schema(
        summary="Request a withdrawal",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.WithdrawalCreateSerializer,
        responses={201: PortalTransactionSerializer, **MONEY_ERRORS},
    )
    def create(self, request: Request) -> Response:
        values = validated(s.WithdrawalCreateSerializer, request.data)
        method, wallet = _own(request, method_id=values["method"], wallet_id=values["wallet"], direction="withdrawal")
        txn = services.request_withdrawal(
            portal_customer(request), method=method, wallet=wallet, amount=values["amount"], actor=request.user,
            wallet_address=values["wallet_address"], destination_tag=values["destination_tag"],
            request_key=request_key(request),
        )  # fmt: skip
        return Response(PortalTransactionSerializer(txn).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Get my current withdrawal",
        description="The newest withdrawal still waiting for approval; 404 when there is none.",
        responses={200: PortalTransactionSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def current(self, request: Request) -> Response:
        pending = Transaction.objects.filter(
            customer=portal_customer(request), type=Transaction.Type.WITHDRAWAL, status=Transaction.Status.PENDING
        ).order_by("-created_at", "-id")
        return Response(PortalTransactionSerializer(get_object_or_404(pending[:1])).data)


@extend_schema_view(
    list=extend_schema(
        summary="List my whitelisted addresses",
        description="The addresses you saved for withdrawals, newest first. Once a currency has one, its "
        "withdrawals go only to whitelisted addresses.",
    ),
    create=extend_schema(
        summary="Whitelist a withdrawal address",
        description="Saves an address (with its destination tag or memo where the currency needs one) for "
        "withdrawals in that currency; the same address again returns the saved entry.",
    ),
    destroy=extend_schema(
        summary="Remove a whitelisted address",
        description="Takes the address off your whitelist; withdrawals already requested keep their address.",
    ),
)
@extend_schema(tags=["portal: payments"])
class PortalWhitelistedAddressViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsPortalCustomer]
    serializer_class = s.PortalWhitelistedAddressSerializer
    queryset = WhitelistedAddress.objects.none()

    def get_queryset(self) -> QuerySet[WhitelistedAddress]:
        return WhitelistedAddress.objects.filter(customer=portal_customer(self.request)).select_related("currency")

    def perform_create(self, serializer):
        serializer.instance = services.add_whitelisted_address(
            portal_customer(self.request), actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.remove_whitelisted_address(instance, actor=self.request.user)


# Back office -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List payment providers"),
    retrieve=extend_schema(summary="Get a payment provider"),
    partial_update=extend_schema(
        summary="Update a payment provider",
        description="Countries, limits, predefined amounts; `key_values` are stored in the settings store, "
        "secrets encrypted, and never returned.",
        request=s.PaymentProviderUpdateSerializer,
        responses={200: s.PaymentProviderSerializer, **ERRORS},
    ),
)
@extend_schema(tags=["payments"])
class PaymentProviderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    queryset = PaymentProvider.objects.all()
    serializer_class = s.PaymentProviderSerializer
    permission_classes = [ActionPermissions]
    action_permissions = {"sort": ("payments.change_paymentprovider",)}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def partial_update(self, request: Request, pk=None) -> Response:
        provider = self.get_object()
        serializer = s.PaymentProviderUpdateSerializer(provider, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        provider = services.update_provider(provider, actor=request.user, **serializer.validated_data)
        return Response(s.PaymentProviderSerializer(provider).data)

    @extend_schema(
        summary="Sort payment providers",
        request=s.ProviderSortSerializer(many=True),
        responses={200: s.PaymentProviderSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def sort(self, request: Request) -> Response:
        rows = validated(s.ProviderSortSerializer, request.data, many=True)
        services.sort_providers([(row["id"], row["sort"]) for row in rows], actor=request.user)
        return Response(s.PaymentProviderSerializer(PaymentProvider.objects.all(), many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List payment methods"),
    retrieve=extend_schema(summary="Get a payment method"),
    create=extend_schema(summary="Create a payment method", request=s.PaymentMethodWriteSerializer),
    partial_update=extend_schema(summary="Update a payment method", request=s.PaymentMethodWriteSerializer),
)
@extend_schema(tags=["payments"])
class PaymentMethodViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    queryset = PaymentMethod.objects.for_list()
    serializer_class = s.PaymentMethodSerializer
    permission_classes = [ActionPermissions]
    filterset_fields = ["direction", "provider", "is_enabled"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return (
            s.PaymentMethodWriteSerializer
            if self.action in ("create", "partial_update")
            else s.PaymentMethodSerializer
        )

    def _save(self, request: Request, method: PaymentMethod | None, code: int) -> Response:
        serializer = s.PaymentMethodWriteSerializer(method, data=request.data, partial=method is not None)
        serializer.is_valid(raise_exception=True)
        method = services.save_payment_method(method, actor=request.user, **serializer.validated_data)
        return Response(s.PaymentMethodSerializer(self.get_queryset().get(pk=method.pk)).data, status=code)

    def create(self, request: Request) -> Response:
        return self._save(request, None, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        return self._save(request, self.get_object(), status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(summary="List deposit and withdrawal groups"),
    retrieve=extend_schema(summary="Get a payment method group"),
    create=extend_schema(summary="Create a payment method group"),
    partial_update=extend_schema(summary="Update a payment method group"),
    destroy=extend_schema(summary="Delete a payment method group"),
)
@extend_schema(tags=["payments"])
class PaymentMethodGroupViewSet(viewsets.ModelViewSet):
    queryset = PaymentMethodGroup.objects.all()
    serializer_class = s.PaymentMethodGroupSerializer
    permission_classes = [ActionPermissions]
    filterset_fields = ["direction"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


@extend_schema_view(
    list=extend_schema(summary="List whitelisted addresses"),
    retrieve=extend_schema(summary="Get a whitelisted address"),
    create=extend_schema(summary="Whitelist an address for a client"),
    partial_update=extend_schema(
        summary="Enable or disable a whitelisted address",
        request=s.WhitelistedAddressUpdateSerializer,
        responses={200: s.WhitelistedAddressSerializer, **ERRORS},
    ),
)
@extend_schema(tags=["payments"])
class WhitelistedAddressViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = s.WhitelistedAddressSerializer
    permission_classes = [ActionPermissions]
    queryset = WhitelistedAddress.objects.none()
    filterset_fields = ["customer", "currency", "is_enabled"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[WhitelistedAddress]:
        return WhitelistedAddress.objects.visible_to(self.request.user).select_related("currency")

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        customer = get_object_or_404(Customer.objects.visible_to(self.request.user), pk=values.pop("customer").pk)
        serializer.instance = services.add_whitelisted_address(customer, actor=self.request.user, **values)

    def partial_update(self, request: Request, pk=None) -> Response:
        values = validated(s.WhitelistedAddressUpdateSerializer, request.data)
        entry = services.set_whitelisted_address_enabled(
            self.get_object(), enabled=values["is_enabled"], actor=request.user
        )
        return Response(s.WhitelistedAddressSerializer(entry).data)


@extend_schema_view(
    list=extend_schema(summary="List provider webhooks"), retrieve=extend_schema(summary="Get a webhook")
)
@extend_schema(tags=["payments"])
class WebhookEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Provider callbacks as received, with the signature check and processing outcome."""

    queryset = WebhookEvent.objects.select_related("provider")
    serializer_class = s.WebhookEventSerializer
    permission_classes = [ActionPermissions]
    filterset_fields = ["provider", "status", "signature_valid", "event_id"]
