"""Wallets API shapes: read serializers (<Model>Serializer) and input serializers (<Model><Action>Serializer)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from crm.core.api.fields import AmountListField
from crm.core.money import DecimalPlaces
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

MONEY: DecimalPlaces = {"max_digits": 28, "decimal_places": 8}
# What Finance may enter by hand (every type but transfers, which only clients make).
MOVEMENT_TYPES = [(value, label) for value, label in Transaction.Type.choices if value != "WALLET_TRANSFER"]


def amount_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**MONEY, min_value=Decimal("0.00000001"), **kwargs)


class CurrencySerializer(serializers.ModelSerializer[Currency]):
    class Meta:
        model = Currency
        fields = [
            "code",
            "name",
            "minor_units",
            "numeric_code",
            "kind",
            "is_enabled",
            "has_destination_tag",
            "block_explorer_url",
        ]


class CurrencyUpdateSerializer(CurrencySerializer):
    class Meta(CurrencySerializer.Meta):
        read_only_fields = ["code"]


class ExchangeRateSerializer(serializers.ModelSerializer[ExchangeRate]):
    class Meta:
        model = ExchangeRate
        fields = ["id", "from_currency", "to_currency", "source", "rate", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list[Any] = []  # uniqueness is the service's (full_clean) rule, reported as a field error


class CurrencyConversionSerializer(serializers.ModelSerializer[CurrencyConversion]):
    class Meta:
        model = CurrencyConversion
        fields = ["id", "source", "target", "path", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list[Any] = []


class CurrencyConversionUpdateSerializer(serializers.Serializer[Any]):
    path = serializers.CharField(max_length=200)


class ConvertQuerySerializer(serializers.Serializer[Any]):
    # A declared field named like Field.source: DRF's metaclass takes it out of the class attributes.
    source = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", queryset=Currency.objects.all(), help_text="Currency code of the amount, e.g. EUR."
    )
    target = serializers.SlugRelatedField(
        slug_field="code", queryset=Currency.objects.all(), help_text="Currency code to convert to, e.g. USD."
    )
    amount = amount_field(help_text="The amount to convert, e.g. 100.00.")


class ConversionResultSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(**MONEY)
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field, as above
    converted = serializers.DecimalField(**MONEY)
    target = serializers.CharField()
    rate = serializers.DecimalField(max_digits=28, decimal_places=12)


class PlatformSerializer(serializers.ModelSerializer[Platform]):
    class Meta:
        model = Platform
        fields = ["id", "name", "caption", "type", "is_enabled"]


class AccountGroupSerializer(serializers.ModelSerializer[AccountGroup]):
    leverages = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Leverages a client may choose, e.g. [50, 100]; empty: any.",
    )
    demo_start_amounts = AmountListField(
        required=False, help_text="Amounts a new demo account may start with; the first is used."
    )

    class Meta:
        model = AccountGroup
        fields = [
            "id",
            "name",
            "caption",
            "platform",
            "currency",
            "type",
            "is_demo",
            "leverages",
            "default_leverage",
            "demo_start_amounts",
            "priority",
            "is_enabled",
        ]


class WalletSerializer(serializers.ModelSerializer[Wallet]):
    """A wallet as staff see it."""

    customer_name = serializers.CharField(source="customer.full_name", read_only=True, default="")
    group_name = serializers.CharField(source="group.name", read_only=True, allow_null=True, default=None)
    platform_name = serializers.CharField(source="platform.name", read_only=True, allow_null=True, default=None)
    # Empty for client wallets: the schema must offer "" besides the system accounts' codes.
    system_code = serializers.ChoiceField(choices=Wallet.SystemCode.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Wallet
        fields = [
            "id",
            "number",
            "caption",
            "customer",
            "customer_name",
            "currency",
            "type",
            "system_code",
            "platform",
            "platform_name",
            "group",
            "group_name",
            "leverage",
            "is_demo",
            "is_enabled",
            "can_deposit",
            "can_withdraw",
            "can_transfer",
            "allow_negative",
            "balance",
            "credit",
            "on_hold",
            "equity",
            "margin",
            "free_margin",
            "margin_level",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PortalWalletSerializer(serializers.ModelSerializer[Wallet]):
    """A wallet as its owner sees it."""

    group_name = serializers.CharField(source="group.name", read_only=True, allow_null=True, default=None)
    platform_name = serializers.CharField(source="platform.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Wallet
        fields = [
            "id",
            "number",
            "caption",
            "currency",
            "type",
            "platform_name",
            "group_name",
            "leverage",
            "is_demo",
            "is_enabled",
            "can_deposit",
            "can_withdraw",
            "can_transfer",
            "balance",
            "credit",
            "on_hold",
            "equity",
            "created_at",
        ]
        read_only_fields = fields


class WalletBalanceSerializer(serializers.ModelSerializer[Wallet]):
    wallet = serializers.IntegerField(source="pk", read_only=True)

    class Meta:
        model = Wallet
        fields = ["wallet", "number", "currency", "balance", "credit", "on_hold", "equity"]
        read_only_fields = fields


class WalletCreateSerializer(serializers.Serializer[Any]):
    customer = serializers.IntegerField()
    currency = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.filter(is_enabled=True))
    group = serializers.PrimaryKeyRelatedField(queryset=AccountGroup.objects.filter(is_enabled=True), required=False)
    leverage = serializers.IntegerField(min_value=1, required=False)
    is_demo = serializers.BooleanField(default=False)
    caption = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class DefaultWalletSerializer(serializers.Serializer[Any]):
    """The platform and account group of the wallet each new client gets at sign-up (null: none is opened)."""

    platform = serializers.SlugRelatedField(
        slug_field="name", queryset=Platform.objects.all(), allow_null=True, help_text="Platform name."
    )
    group = serializers.SlugRelatedField(
        slug_field="name", queryset=AccountGroup.objects.all(), allow_null=True, help_text="Account group name."
    )


class DefaultWalletInputSerializer(DefaultWalletSerializer):
    """Both names are required; the group must be an enabled group of the platform."""

    platform = serializers.SlugRelatedField(slug_field="name", queryset=Platform.objects.all())
    group = serializers.SlugRelatedField(slug_field="name", queryset=AccountGroup.objects.all())


class PortalWalletCreateSerializer(serializers.Serializer[Any]):
    currency = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.filter(is_enabled=True))
    leverage = serializers.IntegerField(min_value=1, required=False)
    is_demo = serializers.BooleanField(default=False)


class WalletUpdateSerializer(serializers.Serializer[Any]):
    caption = serializers.CharField(max_length=100, required=False, allow_blank=True)
    group = serializers.PrimaryKeyRelatedField(queryset=AccountGroup.objects.all(), required=False, allow_null=True)
    leverage = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    can_deposit = serializers.BooleanField(required=False)
    can_withdraw = serializers.BooleanField(required=False)
    can_transfer = serializers.BooleanField(required=False)


class MovementCreateSerializer(serializers.Serializer[Any]):
    """A movement Finance enters by hand: type, amount, comment, method, and whether it goes to the credit."""

    type = serializers.ChoiceField(choices=MOVEMENT_TYPES)
    amount = amount_field()
    add_to_credit = serializers.BooleanField(default=False)
    is_increase = serializers.BooleanField(default=True, help_text="Corrections only: add (true) or take away.")
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    method = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class TopUpSerializer(serializers.Serializer[Any]):
    amount = amount_field()


class StatementQuerySerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [_("Must be after start.")]})
        return attrs


class StatementLineSerializer(serializers.Serializer[Any]):
    created_at = serializers.DateTimeField()
    entry_id = serializers.IntegerField()
    kind = serializers.CharField()
    description = serializers.CharField()
    transaction_id = serializers.IntegerField(allow_null=True)
    amount = serializers.DecimalField(**MONEY)
    balance_after = serializers.DecimalField(**MONEY)


class StatementSerializer(serializers.Serializer[Any]):
    wallet = serializers.IntegerField(source="wallet.pk")
    currency = serializers.CharField(source="wallet.currency_id")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    opening_balance = serializers.DecimalField(**MONEY)
    total_in = serializers.DecimalField(**MONEY)
    total_out = serializers.DecimalField(**MONEY)
    closing_balance = serializers.DecimalField(**MONEY)
    lines = StatementLineSerializer(many=True)


class TransactionSerializer(serializers.ModelSerializer[Transaction]):
    """A transaction with who did each step and when."""

    class Meta:
        model = Transaction
        fields = [
            "id",
            "type",
            "status",
            "customer",
            "wallet",
            "counter_wallet",
            "currency",
            "amount",
            "original_amount",
            "fee",
            "add_to_credit",
            "is_increase",
            "target_amount",
            "target_currency",
            "exchange_rate",
            "is_ftd",
            "method",
            "provider",
            "provider_reference",
            "wallet_address",
            "destination_tag",
            "comment",
            "rejection_reason",
            "approvals_required",
            "requested_by",
            "created_by",
            "approved_by",
            "approved_at",
            "second_approved_by",
            "second_approved_at",
            "rejected_by",
            "rejected_at",
            "refunded_by",
            "refunded_at",
            "cancelled_at",
            "completed_at",
            "failed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PortalTransactionSerializer(serializers.ModelSerializer[Transaction]):
    class Meta:
        model = Transaction
        fields = [
            "id",
            "type",
            "status",
            "wallet",
            "counter_wallet",
            "currency",
            "amount",
            "fee",
            "target_amount",
            "target_currency",
            "exchange_rate",
            "method",
            "wallet_address",
            "rejection_reason",
            "completed_at",
            "created_at",
        ]
        read_only_fields = fields


class TransactionApproveSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    changed_amount = amount_field(required=False, help_text="Withdrawals: approve a lower amount than requested.")


class TransactionRejectSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=255)


class TransactionRefundSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TransactionChargebackSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=255, help_text="The dispute reason the bank gave.")


class TransferCreateSerializer(serializers.Serializer[Any]):
    source_wallet = serializers.IntegerField()
    target_wallet = serializers.IntegerField()
    amount = amount_field()


class PostingSerializer(serializers.ModelSerializer[Posting]):
    class Meta:
        model = Posting
        fields = ["id", "wallet", "currency", "bucket", "amount", "balance_after", "created_at"]
        read_only_fields = fields


class JournalEntrySerializer(serializers.ModelSerializer[JournalEntry]):
    postings = PostingSerializer(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "idempotency_key",
            "kind",
            "description",
            "transaction",
            "reverses",
            "created_by",
            "created_at",
            "postings",
        ]
        read_only_fields = fields
