"""001 "Transfers — back office" (`/back-api/backoffice/transfers/...`): reads and writes.

A transfer is a deposit or a withdrawal of the wallets' transactions: `transferId` its id, `deduplicationId` the
request key it was made with (empty when it had none), `assetId` its currency. `type` is `Deposit` or `Withdrawal`;
`status` one of `Pending`, `Approved`, `Rejected`, `Refunded`, `Completed`, `Failed`, `Cancelled`, `ChargedBack`.
Only transfers of clients the caller may see are answered; `accountId` is the account's number.

Writes (operation `manage-transfers`: Finance): `deposit` and `withdrawal` answer 201 with the transfer;
`withdrawal-confirm` and `withdrawal-cancel` answer 204. The rules (idempotency by `deduplicationId`, the
withdrawal's hold, four eyes on confirmation, the `callbackUrl` notification and its payload) are
crm.trading.services.transfers'.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.errors import ErrorSerializer
from crm.customers.models import Customer
from crm.trading.compat.backoffice.authentication import operation
from crm.trading.compat.backoffice.settings import ERRORS_404, TAGS, BackApiView
from crm.trading.services import transfers as transfer_services
from crm.wallets.models import Transaction, Wallet

T = Transaction.Type
S = Transaction.Status
TYPES = {T.DEPOSIT: "Deposit", T.WITHDRAWAL: "Withdrawal"}
STATUSES = {
    S.PENDING: "Pending", S.APPROVED: "Approved", S.REJECTED: "Rejected", S.REFUNDED: "Refunded",
    S.COMPLETED: "Completed", S.FAILED: "Failed", S.CANCELLED: "Cancelled", S.CHARGED_BACK: "ChargedBack",
}  # fmt: skip
VIEW_TRANSFERS = ("wallets.view_transaction", "customers.view_customer")
ERRORS_409 = {**ERRORS_404, 409: ErrorSerializer}
CALLBACK_HELP = (
    "Optional http(s) URL to a public address; after the change commits it receives a POST (retried until "
    'delivered) of `{"event": "deposit" | "withdrawal" | "withdrawal-confirm" | "withdrawal-cancel", '
    '"transfer": <the transfer>}`.'
)


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


class BackApiTransferRequestSerializer(serializers.Serializer[Any]):
    deduplicationId = serializers.CharField(max_length=100, help_text="Idempotency key: same id, same transfer.")
    accountId = serializers.CharField(max_length=20)
    amount = serializers.DecimalField(max_digits=28, decimal_places=8, min_value=Decimal("0.00000001"))
    assetId = serializers.CharField(max_length=10)
    callbackUrl = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text=CALLBACK_HELP)


class BackApiWithdrawalStepSerializer(serializers.Serializer[Any]):
    accountId = serializers.CharField(max_length=20)
    transferId = serializers.CharField(max_length=20)
    callbackUrl = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text=CALLBACK_HELP)


def _body(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class _Create(BackApiView):
    permission_classes = [operation("manage-transfers")]
    start = staticmethod(transfer_services.deposit)

    def post(self, request: Request) -> Response:
        data = _body(BackApiTransferRequestSerializer, request)
        txn = self.start(
            caller=request.user, account_id=data["accountId"], asset=data["assetId"], amount=data["amount"],
            request_key=data["deduplicationId"], callback_url=data.get("callbackUrl", ""),
        )  # fmt: skip
        return Response(BackApiTransferSerializer(txn).data, status=status.HTTP_201_CREATED)


class DepositView(_Create):
    @extend_schema(
        tags=TAGS, summary="Credit an account (deposit)", operation_id="backapi_transfers_deposit",
        description="Completed at once, or pending a second approver above the second-approval amount. "
        "The same `deduplicationId` again answers the first deposit; with another body, 409.",
        request=BackApiTransferRequestSerializer, responses={201: BackApiTransferSerializer, **ERRORS_409},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        return super().post(request)


class WithdrawalView(_Create):
    start = staticmethod(transfer_services.withdraw)

    @extend_schema(
        tags=TAGS, summary="Start a withdrawal (two-step)", operation_id="backapi_transfers_withdrawal",
        description="The amount goes on hold; `withdrawal-confirm` pays it out, `withdrawal-cancel` gives it back. "
        "The same `deduplicationId` again answers the first withdrawal; with another body, 409.",
        request=BackApiTransferRequestSerializer, responses={201: BackApiTransferSerializer, **ERRORS_409},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        return super().post(request)


class WithdrawalConfirmView(BackApiView):
    permission_classes = [operation("manage-transfers")]

    @extend_schema(
        tags=TAGS, summary="Confirm a pending withdrawal", operation_id="backapi_transfers_withdrawal_confirm",
        description="Four eyes: whoever started the withdrawal cannot confirm it (403). Above the second-approval "
        "amount the first confirmation is the first approval and the withdrawal stays pending.",
        request=BackApiWithdrawalStepSerializer, responses={204: None, **ERRORS_409},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        data = _body(BackApiWithdrawalStepSerializer, request)
        transfer_services.confirm_withdrawal(
            caller=request.user, account_id=data["accountId"], transfer_id=data["transferId"],
            callback_url=data.get("callbackUrl", ""),
        )  # fmt: skip
        return Response(status=status.HTTP_204_NO_CONTENT)


class WithdrawalCancelView(BackApiView):
    permission_classes = [operation("manage-transfers")]

    @extend_schema(
        tags=TAGS, summary="Cancel a pending withdrawal", operation_id="backapi_transfers_withdrawal_cancel",
        description="The hold goes back to the balance. A withdrawal already paid out cannot be cancelled (409).",
        request=BackApiWithdrawalStepSerializer, responses={204: None, **ERRORS_409},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        data = _body(BackApiWithdrawalStepSerializer, request)
        transfer_services.cancel_withdrawal(
            caller=request.user, account_id=data["accountId"], transfer_id=data["transferId"],
            callback_url=data.get("callbackUrl", ""),
        )  # fmt: skip
        return Response(status=status.HTTP_204_NO_CONTENT)
