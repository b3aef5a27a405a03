"""Back-office client summary: `GET /api/v1/backoffice/client-summaries/{client id}/` (`crm.wallets.summary`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.models import Customer
from crm.wallets.api.common import ERRORS, ActionPermissions
from crm.wallets.models.accounts import MONEY
from crm.wallets.summary import client_summary


class SummaryWalletSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    currency = serializers.CharField()
    balance = serializers.DecimalField(**MONEY)
    on_hold = serializers.DecimalField(**MONEY)
    credit = serializers.DecimalField(**MONEY)
    is_demo = serializers.BooleanField()


class SummaryTotalsSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    deposits = serializers.DecimalField(**MONEY, help_text="Completed deposits.")
    deposit_count = serializers.IntegerField()
    withdrawals = serializers.DecimalField(**MONEY, help_text="Approved or paid-out withdrawals.")
    net_deposit = serializers.DecimalField(**MONEY, help_text="Deposits minus withdrawals.")
    pending_withdrawals = serializers.DecimalField(**MONEY, help_text="Withdrawals waiting for approval.")


class SummaryFtdSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField(source="currency_id")
    created_at = serializers.DateTimeField()


class SummaryStaffSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")


class SummaryTimelineSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    text = serializers.CharField()
    by = serializers.CharField()


class ClientSummarySerializer(serializers.Serializer[Any]):
    """What staff decide on: money per wallet and currency, FTD, KYC level and what it allows, risk, agents,
    last log-in and contact, open positions, one timeline (newest first, at most 30 entries)."""

    id = serializers.IntegerField(source="customer.pk")
    full_name = serializers.CharField(source="customer.full_name")
    wallets = SummaryWalletSerializer(many=True)
    totals = SummaryTotalsSerializer(many=True)
    ftd = SummaryFtdSerializer(allow_null=True)
    kyc_status = serializers.CharField(source="customer.kyc_status")
    verification_level = serializers.CharField(source="customer.verification_level.name", allow_null=True)
    allowed_operations = serializers.ListField(child=serializers.CharField())
    next_level = serializers.CharField(source="next_level.name", allow_null=True)
    risk_status = serializers.CharField(source="customer.risk_status")
    conversion_agent = SummaryStaffSerializer(source="customer.conversion_agent", allow_null=True)
    retention_agent = SummaryStaffSerializer(source="customer.retention_agent", allow_null=True)
    last_login_at = serializers.DateTimeField(source="customer.last_login_at", allow_null=True)
    last_activity_at = serializers.DateTimeField(source="customer.last_activity_at", allow_null=True)
    last_contact_at = serializers.DateTimeField(source="customer.last_contact_at", allow_null=True)
    open_positions = serializers.IntegerField(help_text="0 until a trading platform is connected.")
    timeline = SummaryTimelineSerializer(many=True)


@extend_schema(tags=["wallets"])
class ClientSummaryViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet[Customer]):
    """The client summary by client id, for the clients the caller may see."""

    serializer_class = ClientSummarySerializer
    permission_classes = [ActionPermissions]
    action_permissions = {"retrieve": ("customers.view_customer", "wallets.view_transaction")}
    queryset = Customer.objects.none()

    def get_queryset(self) -> QuerySet[Customer]:
        return Customer.objects.visible_to(self.request.user)

    @extend_schema(summary="Get a client's summary", responses={200: ClientSummarySerializer, **ERRORS})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(ClientSummarySerializer(client_summary(self.get_object())).data)
