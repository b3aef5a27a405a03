"""001 "Transfers — back office", reads: a transfer, and an account's transfers (`/back-api/backoffice/transfers/...`).

A transfer is a deposit or a withdrawal of the wallets' transactions: `transferId` its id, `deduplicationId` the
request key it was made with (empty when it had none), `assetId` its currency. `type` is `Deposit` or `Withdrawal`;
`status` one of `Pending`, `Approved`, `Rejected`, `Refunded`, `Completed`, `Failed`, `Cancelled`, `ChargedBack`.
Only transfers of clients the caller may see are answered; `accountId` is the account's number.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.models import Customer
from crm.trading.compat.backoffice.authentication import operation
from crm.trading.compat.backoffice.settings import ERRORS_404, TAGS, BackApiView
from crm.wallets.models import Transaction, Wallet

T = Transaction.Type
S = Transaction.Status
TYPES = {T.DEPOSIT: "Deposit", T.WITHDRAWAL: "Withdrawal"}
STATUSES = {
    S.PENDING: "Pending", S.APPROVED: "Approved", S.REJECTED: "Rejected", S.REFUNDED: "Refunded",
    S.COMPLETED: "Completed", S.FAILED: "Failed", S.CANCELLED: "Cancelled", S.CHARGED_BACK: "ChargedBack",
}  # fmt: skip
VIEW_TRANSFERS = ("wallets.view_transaction", "customers.view_customer")


class BackApiTransferSerializer(serializers.Serializer[Any]):
    transferId = serializers.SerializerMethodField()
    deduplicationId = serializers.CharField(source="request_key")
    assetId = serializers.CharField(source="currency_id")
    type = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=28, decimal_places=8)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def get_transferId(self, txn: Transaction) -> str:
        return str(txn.pk)

    @extend_schema_field(serializers.ChoiceField(choices=sorted(TYPES.values())))
    def get_type(self, txn: Transaction) -> str:
        return TYPES[T(txn.type)]

    @extend_schema_field(serializers.ChoiceField(choices=sorted(STATUSES.values())))
    def get_status(self, txn: Transaction) -> str:
        return STATUSES[S(txn.status)]


def _transfers(request: Request) -> Any:
    visible = Customer.objects.visible_to(request.user)
    return Transaction.objects.filter(type__in=list(TYPES), customer__in=visible).order_by("-created_at", "-pk")


class TransferView(BackApiView):
    permission_classes = [operation("view-transfers", *VIEW_TRANSFERS)]

    @extend_schema(
        tags=TAGS, summary="Get a transfer", operation_id="backapi_transfers_get",
        responses={200: BackApiTransferSerializer, **ERRORS_404},
    )  # fmt: skip
    def get(self, request: Request, transfer_id: str) -> Response:
        txn = _transfers(request).filter(pk=int(transfer_id)).first() if transfer_id.isdigit() else None
        if txn is None:
            raise NotFound()
        return Response(BackApiTransferSerializer(txn).data)


class AccountTransfersView(BackApiView):
    permission_classes = [operation("view-transfers", *VIEW_TRANSFERS)]

    @extend_schema(
        tags=TAGS, summary="An account's transfers", operation_id="backapi_transfers_account_list",
        description="Deposits and withdrawals of the account, newest first.",
        responses={200: BackApiTransferSerializer(many=True), **ERRORS_404},
    )  # fmt: skip
    def get(self, request: Request, account_id: str) -> Response:
        visible = Customer.objects.visible_to(request.user)
        wallet = Wallet.objects.filter(number=account_id, customer__in=visible).first()
        if wallet is None:
            raise NotFound()
        return Response(BackApiTransferSerializer(_transfers(request).filter(wallet=wallet), many=True).data)
