"""001 "Settings — back office v2": a user's accounts with balances (`/v2/users/{userId}/accounts[/{accountId}]`).

`userId` is the client's id and `accountId` the account's number; the clients are those the caller may see (as
in the admin). `accountType` is `Hedging` for trading accounts (live or demo: several positions per symbol) and
`Spot` for the other client wallets (they hold assets only). Each account has a balance in its currency
(`total` the balance, `locked` the amount on hold: pending withdrawals), then one per asset it bought on spot
markets (those wallets are listed as balances of their account, not as accounts).

Opening an account (operation `manage-accounts`: Dealer, Finance) goes through the wallets' `open_client_wallet`:
`Hedging` opens a trading account in the group `accountGroupId` (live or demo as the group is; a demo one gets
the group's first demo amount), `Spot` a plain wallet in the group's currency. `accountName` is its caption.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from crm.customers.models import Customer
from crm.trading.compat.backoffice.authentication import operation
from crm.trading.compat.backoffice.settings import ERRORS_404, TAGS, BackApiView
from crm.trading.models import SpotHolding
from crm.wallets import services as wallet_services
from crm.wallets.models import AccountGroup, Wallet

TRADING_TYPES = {Wallet.Type.TRADE, Wallet.Type.DEMO}
ACCOUNT_TYPES = [("Hedging", "Hedging (trading account)"), ("Spot", "Spot (wallet)")]
VIEW_ACCOUNTS = ("customers.view_customer", "wallets.view_wallet")


class BackApiBalanceSerializer(serializers.Serializer[Any]):
    assetId = serializers.CharField(source="currency_id")
    locked = serializers.DecimalField(max_digits=24, decimal_places=8, source="on_hold")
    total = serializers.DecimalField(max_digits=24, decimal_places=8, source="balance")


class BackApiAccountSerializer(serializers.Serializer[Any]):
    accountId = serializers.CharField(source="number")
    accountName = serializers.SerializerMethodField()
    accountType = serializers.SerializerMethodField()
    balances = serializers.SerializerMethodField()

    def get_accountName(self, wallet: Wallet) -> str:
        return wallet.caption or wallet.number

    @extend_schema_field(serializers.ChoiceField(choices=ACCOUNT_TYPES))
    def get_accountType(self, wallet: Wallet) -> str:
        return "Hedging" if wallet.type in TRADING_TYPES else "Spot"

    @extend_schema_field(BackApiBalanceSerializer(many=True))
    def get_balances(self, wallet: Wallet) -> list[dict[str, Any]]:
        held = [holding.wallet for holding in wallet.spot_holdings.all()]
        return [BackApiBalanceSerializer(row).data for row in (wallet, *held)]


def _customer(request: Request, user_id: str) -> Customer:
    visible = Customer.objects.visible_to(request.user)
    customer: Customer | None = visible.filter(pk=int(user_id)).first() if user_id.isdigit() else None
    if customer is None:
        raise NotFound()
    return customer


def _accounts(customer: Customer) -> Any:
    """The client's accounts; the wallets of assets bought on spot markets are balances of their account."""
    holdings = SpotHolding.objects.select_related("wallet").order_by("currency")
    rows = Wallet.objects.filter(customer=customer, spot_holding__isnull=True)
    return rows.prefetch_related(Prefetch("spot_holdings", queryset=holdings)).order_by("pk")


class UserAccountsView(BackApiView):
    permission_classes = [operation("view-common", *VIEW_ACCOUNTS)]

    @extend_schema(
        tags=TAGS, summary="A user's accounts with balances", operation_id="backapi_v2_user_accounts_list",
        responses={200: BackApiAccountSerializer(many=True), **ERRORS_404},
    )  # fmt: skip
    def get(self, request: Request, user_id: str) -> Response:
        return Response(BackApiAccountSerializer(_accounts(_customer(request, user_id)), many=True).data)


class UserAccountView(BackApiView):
    permission_classes = [operation("view-common", *VIEW_ACCOUNTS)]

    @extend_schema(
        tags=TAGS, summary="One account of a user", operation_id="backapi_v2_user_accounts_get",
        responses={200: BackApiAccountSerializer, **ERRORS_404},
    )  # fmt: skip
    def get(self, request: Request, user_id: str, account_id: str) -> Response:
        wallet = _accounts(_customer(request, user_id)).filter(number=account_id).first()
        if wallet is None:
            raise NotFound()
        return Response(BackApiAccountSerializer(wallet).data)


class BackApiAccountCreateSerializer(serializers.Serializer[Any]):
    accountName = serializers.CharField(max_length=100, required=False, allow_blank=True)
    accountGroupId = serializers.CharField(max_length=20)
    accountType = serializers.ChoiceField(choices=ACCOUNT_TYPES)


class BackApiAccountIdSerializer(serializers.Serializer[Any]):
    accountId = serializers.CharField()


class UserAccountsCreateView(UserAccountsView):
    def get_permissions(self) -> Any:
        if self.request.method == "POST":
            return [operation("manage-accounts")()]
        return super().get_permissions()

    @extend_schema(
        tags=TAGS, summary="Open an account for a user", operation_id="backapi_v2_user_accounts_create",
        request=BackApiAccountCreateSerializer, responses={201: BackApiAccountIdSerializer, **ERRORS_404},
    )  # fmt: skip
    def post(self, request: Request, user_id: str) -> Response:
        customer = _customer(request, user_id)
        serializer = BackApiAccountCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        group_id = data["accountGroupId"]
        group = (
            AccountGroup.objects.select_related("currency").filter(pk=int(group_id), is_enabled=True).first()
            if group_id.isdigit() and len(group_id) < 19
            else None
        )
        if group is None:
            raise ValidationError({"accountGroupId": [_("No such enabled account group.")]})
        caption = data.get("accountName", "")
        if data["accountType"] == "Hedging":
            wallet = wallet_services.open_client_wallet(
                customer, currency=group.currency, is_demo=group.is_demo, actor=request.user, group=group,
                caption=caption,
            )  # fmt: skip
        else:  # a plain wallet: no platform, no group
            wallet = wallet_services.create_wallet(
                customer, currency=group.currency, actor=request.user, caption=caption
            )
        return Response({"accountId": wallet.number}, status=status.HTTP_201_CREATED)
