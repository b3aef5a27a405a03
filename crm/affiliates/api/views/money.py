"""The affiliate's money: commission ledger records, earnings, payout wallets and requests, wallet transactions."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from crm.affiliates import selectors
from crm.affiliates import services as affiliate_services
from crm.affiliates.api.filters import CommissionRecordFilterSet, PayoutRequestFilterSet
from crm.affiliates.api.permissions import actor_of
from crm.affiliates.api.serializers import portal as s
from crm.affiliates.api.views.common import ERRORS, NOT_FOUND, READ_ERRORS, AffiliateAPIMixin, field_names
from crm.affiliates.models import CommissionLedger, PayoutRequest, PayoutWallet
from crm.core.api.schema import SingleObjectSchema
from crm.wallets.api.serializers import PortalTransactionSerializer, PortalWalletSerializer
from crm.wallets.models import Transaction, Wallet


@extend_schema_view(
    list=extend_schema(
        summary="My commission records",
        description=(
            "Your commissions (one per action, level and rule), newest action "
            "first; `statuses` (PENDING, APPROVED, PAIDOUT, REJECTED) repeated; `ordering=action_timestamp` for "
            "oldest first. A clawback after a payout is a negative record taken from the next payout."
        ),
        responses={200: s.CommissionRecordSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="One of my commission records",
        responses={200: s.CommissionRecordSerializer, **READ_ERRORS, **NOT_FOUND},
    ),
)
@extend_schema(tags=["affiliate: commissions"])
class CommissionRecordViewSet(AffiliateAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CommissionRecordSerializer
    filterset_class = CommissionRecordFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["action_timestamp", "created_at", "commission_amount"]
    ordering = ["-action_timestamp", "-id"]
    queryset = CommissionLedger.objects.none()

    def get_queryset(self):
        return selectors.ledger_of(self.affiliate)


@extend_schema(tags=["affiliate: commissions"])
class EarningsViewSet(AffiliateAPIMixin, viewsets.GenericViewSet):
    schema = SingleObjectSchema()  # `list` answers one object
    serializer_class = s.EarningsSerializer
    queryset = CommissionLedger.objects.none()

    @extend_schema(
        summary="My earnings and balance",
        description=(
            "All-time earnings (not rejected), the approved "
            "balance not requested yet, pending payouts, and the totals by status; in your commission currency."
        ),
        responses={200: s.EarningsSerializer, **READ_ERRORS},
    )
    def list(self, request: Request) -> Response:
        body = {
            "currency": self.affiliate.currency_id,
            **selectors.balances(self.affiliate),
            **selectors.commission_totals(self.affiliate),
        }
        return Response(s.EarningsSerializer(body).data)


@extend_schema_view(
    list=extend_schema(
        summary="My payout wallets",
        description="The wallets of your client account that payouts go to.",
        responses={200: s.PayoutWalletSerializer(many=True), **READ_ERRORS},
    )
)
@extend_schema(tags=["affiliate: payouts"])
class PayoutWalletViewSet(AffiliateAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.PayoutWalletSerializer
    filter_backends: list = []
    queryset = PayoutWallet.objects.none()

    def get_queryset(self):
        return selectors.payout_wallets_of(self.affiliate)


@extend_schema_view(
    list=extend_schema(
        summary="My payout requests",
        description="Your payout requests, newest first; `statuses` repeated; `ordering=requested_at` ascends.",
        responses={200: s.PayoutRequestSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="One of my payout requests", responses={200: s.PayoutRequestSerializer, **READ_ERRORS, **NOT_FOUND}
    ),
)
@extend_schema(tags=["affiliate: payouts"])
class PayoutRequestViewSet(
    AffiliateAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.PayoutRequestSerializer
    filterset_class = PayoutRequestFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["requested_at"]
    ordering = ["-requested_at", "-id"]
    queryset = PayoutRequest.objects.none()

    def get_queryset(self):
        return selectors.payout_requests_of(self.affiliate)

    @extend_schema(
        summary="Request a payout",
        description=(
            "Asks to be paid every approved, unpaid commission into one of your "
            "payout wallets. Refused while a request is pending (`payout_pending`) or below the minimum payout "
            "(`payout_below_minimum`)."
        ),
        request=s.PayoutRequestInputSerializer,
        responses={201: s.PayoutRequestSerializer, 409: ERRORS[400], **ERRORS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        payload = s.PayoutRequestInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        wallet = PayoutWallet.objects.filter(
            affiliate=self.affiliate, pk=payload.validated_data["payout_wallet_id"]
        ).first()
        if wallet is None:
            return Response(
                {
                    "error": {
                        "code": "invalid_payout_wallet",
                        "message": "Unknown payout wallet.",
                        "fields": {"payout_wallet_id": ["Not one of yours."]},
                    }
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        with field_names({"payoutWalletId": "payout_wallet_id"}):
            payout = affiliate_services.create_payout_request(
                self.affiliate, payout_wallet=wallet, actor=actor_of(request)
            )
        payout = get_object_or_404(self.get_queryset(), pk=payout.pk)
        return Response(self.get_serializer(payout).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Do I have a pending payout request",
        description="Whether you have a payout request waiting for review.",
        responses={200: s.HasPendingSerializer, **READ_ERRORS},
    )
    @action(detail=False, methods=["get"], url_path="has-pending", filter_backends=[], pagination_class=None)
    def has_pending(self, request: Request) -> Response:
        return Response({"has_pending_payout_request": affiliate_services.has_pending_request(self.affiliate)})


@extend_schema_view(
    list=extend_schema(
        summary="My wallets",
        description="Your payout wallets with their balances.",
        responses={200: PortalWalletSerializer(many=True), **READ_ERRORS},
    )
)
@extend_schema(tags=["affiliate: payouts"])
class WalletViewSet(AffiliateAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PortalWalletSerializer
    filter_backends: list = []
    pagination_class = None
    queryset = Wallet.objects.none()

    def get_queryset(self):
        return selectors.wallets_of(self.affiliate).select_related("currency", "platform", "group")


@extend_schema_view(
    list=extend_schema(
        summary="My wallet transactions",
        description=(
            "Every transaction on your payout wallets (commission payouts, withdrawals, transfers), newest first."
        ),
        responses={200: PortalTransactionSerializer(many=True), **READ_ERRORS},
    )
)
@extend_schema(tags=["affiliate: payouts"])
class WalletTransactionViewSet(AffiliateAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PortalTransactionSerializer
    filter_backends: list = []
    queryset = Transaction.objects.none()

    def get_queryset(self):
        return selectors.wallet_transactions(self.affiliate)
