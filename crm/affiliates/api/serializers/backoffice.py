"""Back-office serializers for affiliate managers: affiliates, commission models, ledger, payout requests."""

from __future__ import annotations

from rest_framework import serializers

from crm.affiliates.models import (
    Affiliate,
    CommissionLedger,
    CommissionLevel,
    CommissionModel,
    CommissionRule,
    PayoutRequest,
)
from crm.users.models import User
from crm.wallets.models import Currency


class AffiliateSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="customer.full_name", read_only=True)
    email = serializers.EmailField(source="customer.email", read_only=True)
    referral_key = serializers.CharField(source="customer.referral_key", read_only=True, allow_null=True)
    commission_model_name = serializers.CharField(
        source="commission_model.name", read_only=True, allow_null=True, default=None
    )
    manager_email = serializers.EmailField(source="manager.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Affiliate
        fields = [
            "id",
            "customer_id",
            "name",
            "email",
            "status",
            "status_reason",
            "parent_id",
            "depth",
            "referral_key",
            "commission_model",
            "commission_model_name",
            "currency",
            "manager",
            "manager_email",
            "show_contact_details",
            "auto_payout",
            "approved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AffiliateUpdateSerializer(serializers.Serializer):
    commission_model = serializers.PrimaryKeyRelatedField(
        queryset=CommissionModel.objects.all(), required=False, allow_null=True
    )
    currency = serializers.PrimaryKeyRelatedField(queryset=Currency.objects.filter(is_enabled=True), required=False)
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.active_staff(), required=False, allow_null=True)
    show_contact_details = serializers.BooleanField(required=False)
    auto_payout = serializers.BooleanField(required=False)
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]  # a declared field named like a Field attribute (DRF allows it)
        queryset=Affiliate.objects.all(), required=False, allow_null=True, help_text="Moves the whole subtree."
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class OptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, allow_null=True)


class CommissionRuleSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Give it to keep an existing rule.")
    currency = serializers.PrimaryKeyRelatedField(queryset=Currency.objects.all(), required=False, allow_null=True)

    class Meta:
        model = CommissionRule
        fields = [
            "id",
            "kind",
            "amount",
            "percent",
            "currency",
            "min_deposit",
            "countries",
            "instruments",
            "instrument_groups",
            "min_holding_seconds",
            "cap_amount",
            "is_enabled",
        ]


class CommissionLevelSerializer(serializers.ModelSerializer):
    rules = CommissionRuleSerializer(many=True, required=False)
    level = serializers.IntegerField(min_value=1, max_value=32767)

    class Meta:
        model = CommissionLevel
        fields = ["level", "name", "rules"]


class CommissionModelSerializer(serializers.ModelSerializer):
    """A commission model: name, grey labelling, sub-model, levels with their rules, default flag."""

    levels = CommissionLevelSerializer(many=True)
    sub_commission_model = serializers.PrimaryKeyRelatedField(
        queryset=CommissionModel.objects.all(), required=False, allow_null=True
    )
    name = serializers.CharField(max_length=100)

    class Meta:
        model = CommissionModel
        fields = [
            "id",
            "name",
            "grey_labeling_enabled",
            "sub_commission_model",
            "is_default",
            "hold_days",
            "is_enabled",
            "levels",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class LedgerRecordSerializer(serializers.ModelSerializer):
    """A commission ledger record, with which rule of which model, level and action produced it."""

    introducer_name = serializers.CharField(source="introducer.customer.full_name", read_only=True)
    referral_name = serializers.CharField(source="referral.full_name", read_only=True, allow_null=True, default=None)
    commission_model = serializers.CharField(source="rule.level.commission_model.name", read_only=True)
    rule = serializers.CharField(source="rule.__str__", read_only=True)
    admin_email = serializers.EmailField(source="admin.email", read_only=True, allow_null=True, default=None)
    payable_amount = serializers.DecimalField(max_digits=28, decimal_places=8, read_only=True)
    referral_flagged = serializers.BooleanField(
        read_only=True,
        help_text="The referral has an open review flag: the record is not approved until it is cleared.",
    )

    class Meta:
        model = CommissionLedger
        fields = [
            "id",
            "introducer_id",
            "introducer_name",
            "referral_id",
            "referral_name",
            "level",
            "commission_model",
            "rule_id",
            "rule",
            "action_id",
            "reverses_id",
            "commission_type",
            "action_type",
            "action_details",
            "base_amount",
            "base_currency",
            "exchange_rate",
            "commission_amount",
            "corrected_commission_amount",
            "payable_amount",
            "currency",
            "status",
            "referral_flagged",
            "action_timestamp",
            "hold_until",
            "approved_at",
            "rejected_at",
            "reject_reason",
            "payout_request_id",
            "payout_at",
            "admin_comments",
            "admin_id",
            "admin_email",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LedgerCorrectSerializer(serializers.Serializer):
    corrected_commission_amount = serializers.DecimalField(max_digits=28, decimal_places=8)
    admin_comments = serializers.CharField(max_length=2000)


class BackofficePayoutRequestSerializer(serializers.ModelSerializer):
    introducer_name = serializers.CharField(source="introducer.customer.full_name", read_only=True)
    wallet_number = serializers.CharField(source="payout_wallet.wallet.number", read_only=True)
    admin_email = serializers.EmailField(source="admin.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = PayoutRequest
        fields = [
            "id",
            "introducer_id",
            "introducer_name",
            "payout_wallet_id",
            "wallet_number",
            "amount",
            "currency",
            "status",
            "is_automatic",
            "requested_at",
            "approved_at",
            "rejected_at",
            "reject_reason",
            "transaction_id",
            "admin_id",
            "admin_email",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
