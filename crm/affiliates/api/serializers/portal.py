"""What an affiliate reads about itself and its referrals; input serializers end in `InputSerializer`."""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.affiliates.models import (
    Affiliate,
    AffiliateApiKey,
    Banner,
    CommissionLedger,
    LandingPage,
    PayoutRequest,
    PayoutWallet,
    ReferralNote,
    TargetGroup,
)
from crm.affiliates.models.program import REFERRAL_KEY_MAX, REFERRAL_KEY_MIN
from crm.customers.models import Customer
from crm.customers.privacy import mask_email, mask_phone


class MaskedContactMixin:
    """Email and phone masked unless the affiliate's program shows contact details (`show_contact_details`)."""

    context: dict[str, Any]

    def _shows_contacts(self) -> bool:
        return bool(self.context.get("show_contact_details"))

    @extend_schema_field(OpenApiTypes.STR)
    def get_email(self, customer: Customer) -> str:
        return customer.email if self._shows_contacts() else mask_email(customer.email)

    @extend_schema_field(OpenApiTypes.STR)
    def get_phone(self, customer: Customer) -> str:
        phone = str(customer.phone or "")
        return phone if self._shows_contacts() else mask_phone(phone)


class ReferralSerializer(MaskedContactMixin, serializers.ModelSerializer):
    """One referral as its affiliate (or an upline IB) sees it."""

    email = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    # "" when blank: the model field's choices would answer a Country object, which JSON cannot encode.
    country = CountryField(read_only=True, allow_blank=True)
    introducer_affiliate_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The IB of your tree who introduced the client."
    )
    level = serializers.IntegerField(read_only=True, help_text="1: your own client; 2: a sub-IB's client ...")
    commission_earned = serializers.DecimalField(
        max_digits=28, decimal_places=8, read_only=True, help_text="Your commissions on the client, not rejected."
    )
    notes = serializers.CharField(source="latest_note", read_only=True, allow_null=True, help_text="Your latest note.")
    has_ftd = serializers.BooleanField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "country",
            "language",
            "status",
            "kyc_status",
            "source",
            "campaign",
            "external_id",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "introducer_affiliate_id",
            "level",
            "registered_at",
            "updated_at",
            "has_ftd",
            "first_deposit_at",
            "deposit_count",
            "commission_earned",
            "notes",
        ]
        read_only_fields = fields


class ReferralUpdateInputSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)  # type: ignore[assignment]  # a declared field named like a Field attribute (DRF allows it)
    notes = serializers.CharField(required=False, allow_blank=True, help_text="Adds or updates your note.")


class ReferralNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReferralNote
        fields = ["id", "body", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ReferralNoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class PeriodQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (default: the first of this month).")
    end = serializers.DateField(required=False, help_text="Last day, included (default: today).")

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": [_("Must not be before start.")]})
        return attrs


class MoneyFiguresSerializer(serializers.Serializer):
    deposits = serializers.DecimalField(max_digits=28, decimal_places=8)
    withdrawals = serializers.DecimalField(max_digits=28, decimal_places=8)
    net_deposits = serializers.DecimalField(max_digits=28, decimal_places=8)
    lots = serializers.DecimalField(max_digits=28, decimal_places=4)


class CommissionTotalsSerializer(serializers.Serializer):
    pending = serializers.DecimalField(max_digits=28, decimal_places=8)
    approved = serializers.DecimalField(max_digits=28, decimal_places=8)
    paid = serializers.DecimalField(max_digits=28, decimal_places=8)


class DashboardSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Excluded.")
    currency = serializers.CharField(help_text="Currency of commissions and balances.")
    signups = serializers.IntegerField(help_text="Referrals (own and downline) registered in the period.")
    signups_direct = serializers.IntegerField(help_text="Of which your own clients.")
    ftds = serializers.IntegerField(help_text="Referrals who made their first deposit in the period.")
    ftds_direct = serializers.IntegerField()
    referrals_total = serializers.IntegerField()
    sub_affiliates = serializers.IntegerField(help_text="Sub-IBs at any depth below you.")
    money = serializers.DictField(child=MoneyFiguresSerializer(), help_text="Per currency of the referrals' money.")
    commissions = CommissionTotalsSerializer(help_text="Your commissions on actions of the period, by status.")
    earnings = serializers.DecimalField(max_digits=28, decimal_places=8, help_text="All time, not rejected.")
    balance = serializers.DecimalField(max_digits=28, decimal_places=8, help_text="Approved, not requested yet.")
    pending_payouts = serializers.DecimalField(max_digits=28, decimal_places=8)


class SubAffiliateSerializer(serializers.ModelSerializer):
    """A sub-IB of the caller's tree with its statistics for the period."""

    name = serializers.CharField(source="customer.full_name", read_only=True)
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)
    relative_depth = serializers.IntegerField(read_only=True, help_text="1: your direct sub-IB.")
    referrals_count = serializers.IntegerField(read_only=True)
    signups = serializers.IntegerField(read_only=True)
    ftds = serializers.IntegerField(read_only=True)
    sub_affiliates_count = serializers.IntegerField(read_only=True)
    commission_earned = serializers.DecimalField(max_digits=28, decimal_places=8, read_only=True)

    class Meta:
        model = Affiliate
        fields = [
            "id",
            "name",
            "status",
            "parent_id",
            "relative_depth",
            "referrals_count",
            "signups",
            "ftds",
            "sub_affiliates_count",
            "commission_earned",
            "created_at",
        ]
        read_only_fields = fields


class AffiliateProfileSerializer(serializers.ModelSerializer):
    referral_key = serializers.CharField(source="customer.referral_key", read_only=True, allow_null=True)
    commission_model = serializers.CharField(
        source="commission_model.name", read_only=True, allow_null=True, default=None
    )
    name = serializers.CharField(source="customer.full_name", read_only=True)

    class Meta:
        model = Affiliate
        fields = [
            "id",
            "customer_id",
            "name",
            "status",
            "parent_id",
            "depth",
            "referral_key",
            "currency",
            "commission_model",
            "show_contact_details",
            "auto_payout",
            "created_at",
        ]
        read_only_fields = fields


class ReferralKeyInputSerializer(serializers.Serializer):
    ref_key = serializers.CharField(
        validators=[MinLengthValidator(REFERRAL_KEY_MIN), MaxLengthValidator(REFERRAL_KEY_MAX)],
        help_text="5 to 20 letters, digits, '-' or '_'.",
    )


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = AffiliateApiKey
        fields = ["id", "name", "key_prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class ApiKeyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once: only its hash is kept.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class CommissionRecordSerializer(serializers.ModelSerializer):
    """One of your commission records."""

    referral_name = serializers.CharField(source="referral.full_name", read_only=True, allow_null=True, default=None)
    payable_amount = serializers.DecimalField(max_digits=28, decimal_places=8, read_only=True)

    class Meta:
        model = CommissionLedger
        fields = [
            "id",
            "referral_id",
            "referral_name",
            "level",
            "commission_type",
            "action_type",
            "action_details",
            "commission_amount",
            "corrected_commission_amount",
            "payable_amount",
            "currency",
            "status",
            "action_timestamp",
            "hold_until",
            "approved_at",
            "payout_at",
            "payout_request_id",
            "reverses_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PayoutWalletSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="wallet.number", read_only=True)
    currency = serializers.CharField(source="wallet.currency_id", read_only=True)
    balance = serializers.DecimalField(source="wallet.balance", max_digits=28, decimal_places=8, read_only=True)

    class Meta:
        model = PayoutWallet
        fields = ["id", "wallet_id", "number", "currency", "balance", "is_default"]
        read_only_fields = fields


class PayoutRequestSerializer(serializers.ModelSerializer):
    transaction_status = serializers.CharField(
        source="transaction.status", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = PayoutRequest
        fields = [
            "id",
            "payout_wallet_id",
            "amount",
            "currency",
            "status",
            "is_automatic",
            "requested_at",
            "approved_at",
            "rejected_at",
            "reject_reason",
            "transaction_id",
            "transaction_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PayoutRequestInputSerializer(serializers.Serializer):
    payout_wallet_id = serializers.IntegerField(min_value=1)


class HasPendingSerializer(serializers.Serializer):
    has_pending_payout_request = serializers.BooleanField()


class EarningsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    earnings = serializers.DecimalField(max_digits=28, decimal_places=8, help_text="All time, not rejected.")
    balance = serializers.DecimalField(max_digits=28, decimal_places=8, help_text="Approved, not requested yet.")
    pending_payouts = serializers.DecimalField(max_digits=28, decimal_places=8)
    pending = serializers.DecimalField(max_digits=28, decimal_places=8, help_text="Held commissions.")
    approved = serializers.DecimalField(max_digits=28, decimal_places=8)
    paid = serializers.DecimalField(max_digits=28, decimal_places=8)


class TargetGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = TargetGroup
        fields = ["id", "name", "description"]
        read_only_fields = fields


class BannerSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = Banner
        fields = ["id", "name", "image_url", "width", "height", "target_url", "language"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_image_url(self, banner: Banner) -> str | None:
        if not banner.image:
            return None
        request = self.context.get("request")
        url = banner.image.url
        return request.build_absolute_uri(url) if request else url


class LandingPageSerializer(serializers.ModelSerializer):
    class Meta:
        model = LandingPage
        fields = ["id", "name", "url", "language"]
        read_only_fields = fields


class LogosSerializer(serializers.Serializer):
    rectangular_logo = serializers.URLField(allow_null=True)
    square_logo = serializers.URLField(allow_null=True)


class LogosInputSerializer(serializers.Serializer):
    rectangular_logo = serializers.FileField()
    square_logo = serializers.FileField()


class EnabledSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()


class AffiliateSuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class SourcesSerializer(serializers.Serializer):
    sources = serializers.ListField(child=serializers.CharField())
