"""Payments API shapes: read serializers and input serializers."""

from __future__ import annotations

from rest_framework import serializers

from crm.core.api.fields import AmountListField, country_list
from crm.payments.models import (
    Direction,
    PaymentMethod,
    PaymentMethodCurrency,
    PaymentMethodGroup,
    PaymentProvider,
    ProviderPayment,
    WebhookEvent,
    WhitelistedAddress,
)
from crm.wallets.api.serializers import PortalTransactionSerializer, amount_field
from crm.wallets.models import Currency


class PaymentProviderSerializer(serializers.ModelSerializer):
    enabled_countries = country_list(required=False, help_text="Countries served; empty: everywhere.")
    predefined_deposit_amounts = AmountListField(required=False, help_text="Amounts offered on the deposit form.")

    class Meta:
        model = PaymentProvider
        fields = [
            "id",
            "code",
            "name",
            "adapter",
            "is_enabled",
            "enabled_countries",
            "min_deposit",
            "max_deposit",
            "min_withdrawal",
            "max_withdrawal",
            "predefined_deposit_amounts",
            "sort_order",
        ]
        read_only_fields = ["id", "code", "adapter"]


class KeyValueSerializer(serializers.Serializer):
    key = serializers.RegexField(r"^[a-z0-9_]+$", max_length=50)
    value = serializers.CharField(max_length=2000, write_only=True)
    is_secret = serializers.BooleanField(default=True)


class PaymentProviderUpdateSerializer(PaymentProviderSerializer):
    key_values = KeyValueSerializer(many=True, required=False, help_text="Credentials; stored encrypted, never shown.")

    class Meta(PaymentProviderSerializer.Meta):
        fields = [*PaymentProviderSerializer.Meta.fields, "key_values"]


class ProviderSortSerializer(serializers.Serializer):
    id = serializers.PrimaryKeyRelatedField(queryset=PaymentProvider.objects.all())
    sort = serializers.IntegerField(min_value=0, max_value=32767)


class PaymentMethodGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentMethodGroup
        fields = ["id", "direction", "name", "caption", "description", "icon"]


class PaymentMethodCurrencySerializer(serializers.ModelSerializer):
    currency = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.all())

    class Meta:
        model = PaymentMethodCurrency
        fields = ["currency", "min_amount", "max_amount"]


class PaymentMethodSerializer(serializers.ModelSerializer):
    currencies = PaymentMethodCurrencySerializer(source="limits", many=True, read_only=True)
    provider_code = serializers.CharField(source="provider.code", read_only=True)
    countries = country_list(required=False, help_text="Countries offered; empty: the provider's.")
    predefined_amounts = AmountListField(required=False, help_text="Amounts offered on the form.")

    class Meta:
        model = PaymentMethod
        fields = [
            "id",
            "provider",
            "provider_code",
            "direction",
            "name",
            "caption",
            "description",
            "icon",
            "time_to_fund",
            "groups",
            "countries",
            "currencies",
            "predefined_amounts",
            "needs_address",
            "fee_percent",
            "fee_fixed",
            "fee_min",
            "fee_max",
            "provider_fee_percent",
            "provider_fee_fixed",
            "hide_amount",
            "sort_order",
            "is_enabled",
        ]


class PaymentMethodWriteSerializer(PaymentMethodSerializer):
    currencies = PaymentMethodCurrencySerializer(many=True, required=False)

    class Meta(PaymentMethodSerializer.Meta):
        pass


class PortalPaymentMethodSerializer(serializers.ModelSerializer):
    currencies = PaymentMethodCurrencySerializer(source="limits", many=True, read_only=True)
    groups = PaymentMethodGroupSerializer(many=True, read_only=True)
    predefined_amounts = AmountListField(read_only=True, help_text="Amounts to offer on the form.")

    class Meta:
        model = PaymentMethod
        fields = [
            "id",
            "direction",
            "name",
            "caption",
            "description",
            "icon",
            "time_to_fund",
            "groups",
            "currencies",
            "predefined_amounts",
            "needs_address",
            "fee_percent",
            "fee_fixed",
            "fee_min",
            "fee_max",
            "hide_amount",
        ]
        read_only_fields = fields


class PaymentMethodQuerySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Direction.choices)
    currency = serializers.CharField(
        required=False, max_length=10, help_text="Only methods taking this currency code, e.g. USD."
    )


class DepositCreateSerializer(serializers.Serializer):
    method = serializers.IntegerField()
    wallet = serializers.IntegerField()
    amount = amount_field()


class DepositSerializer(serializers.ModelSerializer):
    transaction = PortalTransactionSerializer(read_only=True)

    class Meta:
        model = ProviderPayment
        fields = ["reference", "checkout_url", "transaction"]
        read_only_fields = fields


class WithdrawalCreateSerializer(serializers.Serializer):
    method = serializers.IntegerField()
    wallet = serializers.IntegerField()
    amount = amount_field()
    wallet_address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    destination_tag = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class WhitelistedAddressSerializer(serializers.ModelSerializer):
    currency = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.filter(is_enabled=True))

    class Meta:
        model = WhitelistedAddress
        fields = [
            "id",
            "customer",
            "currency",
            "wallet_address",
            "destination_tag",
            "label",
            "is_enabled",
            "created_at",
        ]
        read_only_fields = ["id", "is_enabled", "created_at"]


class PortalWhitelistedAddressSerializer(WhitelistedAddressSerializer):
    class Meta(WhitelistedAddressSerializer.Meta):
        fields = ["id", "currency", "wallet_address", "destination_tag", "label", "is_enabled", "created_at"]


class WhitelistedAddressUpdateSerializer(serializers.Serializer):
    is_enabled = serializers.BooleanField()


class WebhookEventSerializer(serializers.ModelSerializer):
    provider_code = serializers.CharField(source="provider.code", read_only=True)
    headers = serializers.DictField(child=serializers.CharField(), read_only=True, help_text="As received.")

    class Meta:
        model = WebhookEvent
        fields = [
            "id",
            "provider",
            "provider_code",
            "event_id",
            "event_type",
            "headers",
            "body",
            "remote_ip",
            "signature_valid",
            "status",
            "error",
            "attempts",
            "received_at",
            "processed_at",
        ]
        read_only_fields = fields
