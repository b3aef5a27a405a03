"""Back-office client API: read serializers (output) and input serializers, kept apart."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from crm.core.api.fields import ACTIVITY_VALUE_SCHEMA, SignedFileLinkField, activity_value
from crm.core.models import Activity
from crm.core.roles import fields_refused
from crm.customers import privacy, services
from crm.customers.models import (
    Call,
    ClientGroup,
    ClientRole,
    ClientType,
    Comment,
    Customer,
    Document,
    SalesStatus,
    VerificationLevel,
)
from crm.users.models import User

MAX_BULK_ROWS = 500


def _user(serializer: serializers.Field) -> User | None:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class MaskedEmailField(serializers.CharField):
    """The email, masked for callers without `customers.view_personal_data`."""

    def to_representation(self, value: Any) -> str:
        return privacy.email_for(_user(self), str(value or ""))


class MaskedPhoneField(serializers.CharField):
    """The phone number, masked for callers without `customers.view_personal_data`."""

    def to_representation(self, value: Any) -> str:
        return privacy.phone_for(_user(self), value)


# Output ---------------------------------------------------------------------------------


class StaffRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class SalesStatusRefSerializer(NamedRefSerializer):
    color = serializers.CharField(read_only=True)


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class CustomerSerializer(serializers.ModelSerializer):
    """A client as a list row."""

    full_name = serializers.CharField(read_only=True)
    email = MaskedEmailField(read_only=True)
    phone = MaskedPhoneField(read_only=True)
    country = serializers.CharField(source="country.code", read_only=True)
    country_name = serializers.CharField(source="country.name", read_only=True)
    client_type = NamedRefSerializer(read_only=True, allow_null=True)
    verification_level = NamedRefSerializer(read_only=True, allow_null=True)
    sales_status = SalesStatusRefSerializer(read_only=True, allow_null=True)
    conversion_agent = StaffRefSerializer(read_only=True, allow_null=True)
    retention_agent = StaffRefSerializer(read_only=True, allow_null=True)
    introducer = CustomerRefSerializer(read_only=True, allow_null=True)
    roles: serializers.SlugRelatedField[ClientRole] = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )
    groups: serializers.SlugRelatedField[ClientGroup] = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )
    has_ftd = serializers.BooleanField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "phone",
            "country",
            "country_name",
            "language",
            "currency",
            "status",
            "kyc_status",
            "risk_status",
            "client_type",
            "verification_level",
            "sales_status",
            "conversion_agent",
            "retention_agent",
            "introducer",
            "roles",
            "groups",
            "source",
            "external_id",
            "registered_at",
            "last_activity_at",
            "first_deposit_at",
            "has_ftd",
            "deposit_count",
            "open_positions_count",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerDetailSerializer(CustomerSerializer):
    """A client's page: profile, KYC review, dates and counters (all annotated, no per-row queries)."""

    kyc_reviewed_by = StaffRefSerializer(read_only=True, allow_null=True)
    documents_count = serializers.IntegerField(read_only=True)
    comments_count = serializers.IntegerField(read_only=True)
    referrals_count = serializers.IntegerField(read_only=True)
    is_bookmarked = serializers.BooleanField(read_only=True)
    editable_fields = serializers.SerializerMethodField(
        help_text="The fields of `PATCH` this caller's role may change (the admin shows the others read-only)."
    )

    class Meta(CustomerSerializer.Meta):
        fields = [
            *CustomerSerializer.Meta.fields,
            "date_of_birth",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "kyc_reviewed_by",
            "kyc_reviewed_at",
            "confirmed_at",
            "last_login_at",
            "last_contact_at",
            "last_comment_at",
            "last_deposit_at",
            "termination_requested_at",
            "documents_count",
            "comments_count",
            "referrals_count",
            "is_bookmarked",
            "editable_fields",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_editable_fields(self, customer: Customer) -> list[str]:
        user = _user(self)
        if user is None or not user.has_perm("customers.change_customer"):
            return []
        names = [*services.EDITABLE_FIELDS, *services.RELATION_LISTS]
        refused = set(fields_refused(user, "customers.customer", names))
        return [name for name in names if name not in refused]


class CustomerIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField())


class DocumentSerializer(serializers.ModelSerializer):
    """A KYC document with a short-lived signed download link."""

    uploaded_by = StaffRefSerializer(read_only=True, allow_null=True)
    reviewed_by = StaffRefSerializer(read_only=True, allow_null=True)
    url = SignedFileLinkField(source="file")

    class Meta:
        model = Document
        fields = [
            "id",
            "document_type",
            "status",
            "original_name",
            "content_type",
            "size",
            "rejection_reason",
            "uploaded_by",
            "reviewed_by",
            "reviewed_at",
            "created_at",
            "url",
        ]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    author = StaffRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Comment
        fields = ["id", "body", "author", "created_at"]
        read_only_fields = fields


class CallSerializer(serializers.ModelSerializer):
    agent = StaffRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Call
        fields = ["id", "outcome", "note", "agent", "created_at"]
        read_only_fields = fields


class ActivitySerializer(serializers.ModelSerializer):
    """One history row; email and phone values are masked like everywhere else."""

    actor = StaffRefSerializer(read_only=True, allow_null=True)
    changes = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()  # type: ignore[assignment]  # a field named "data" shadows Serializer.data

    class Meta:
        model = Activity
        fields = ["id", "created_at", "action", "actor", "actor_repr", "channel", "ip_address", "changes", "data"]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {"type": "array", "items": ACTIVITY_VALUE_SCHEMA, "minItems": 2, "maxItems": 2},
            "description": '{"field": [old, new]}',
        }
    )
    def get_changes(self, activity: Activity) -> dict[str, list[Any]]:
        changes = {name: [activity_value(value) for value in values] for name, values in activity.changes.items()}
        if privacy.can_view_personal_data(_user(self)):
            return changes
        masks = {"email": privacy.mask_email, "phone": privacy.mask_phone}
        return {
            name: [masks[name](value) if value else value for value in values] if name in masks else values
            for name, values in changes.items()
        }

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": ACTIVITY_VALUE_SCHEMA,
            "description": "Facts of the action (ids, amounts, reasons); values nested deeper than a list or a map "
            "of scalars are given as JSON text.",
        }
    )
    def get_data(self, activity: Activity) -> dict[str, Any]:
        return {name: activity_value(value) for name, value in activity.data.items()}


# Input ----------------------------------------------------------------------------------


def staff_agents():
    return User.objects.filter(is_staff=True, is_active=True, is_service_account=False)


class CustomerWriteSerializer(serializers.Serializer):
    """Fields staff set on a client; `full_name` is split into first and last name when those are absent."""

    full_name = serializers.CharField(max_length=301, required=False, write_only=True)
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False)
    phone = PhoneNumberField(required=False, allow_blank=True)
    country = CountryField(required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    address_line1 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    currency = serializers.CharField(max_length=10, required=False)
    client_type_id = serializers.PrimaryKeyRelatedField(
        source="client_type", queryset=ClientType.objects.all(), required=False, allow_null=True
    )
    risk_status = serializers.ChoiceField(choices=Customer.RiskStatus.choices, required=False)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)  # type: ignore[assignment]  # a field named "source" shadows Field.source
    utm_source = serializers.CharField(max_length=255, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=255, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=255, required=False, allow_blank=True)
    utm_term = serializers.CharField(max_length=255, required=False, allow_blank=True)
    utm_content = serializers.CharField(max_length=255, required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    introducer_id = serializers.PrimaryKeyRelatedField(
        source="introducer", queryset=Customer.objects.none(), required=False, allow_null=True
    )
    conversion_agent_id = serializers.PrimaryKeyRelatedField(
        source="conversion_agent", queryset=staff_agents(), required=False, allow_null=True
    )
    retention_agent_id = serializers.PrimaryKeyRelatedField(
        source="retention_agent", queryset=staff_agents(), required=False, allow_null=True
    )
    sales_status_id = serializers.PrimaryKeyRelatedField(
        source="sales_status", queryset=SalesStatus.objects.all(), required=False, allow_null=True
    )
    roles = serializers.SlugRelatedField(
        slug_field="name", queryset=ClientRole.objects.all(), many=True, required=False
    )
    groups = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, help_text="Group names; new names are created."
    )

    AGENT_FIELDS = ("conversion_agent", "retention_agent")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An introducer must be a client the caller can see.
        user = _user(self)
        self.fields["introducer_id"].queryset = Customer.objects.visible_to(user)  # type: ignore[attr-defined]  # a PrimaryKeyRelatedField

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        full_name = attrs.pop("full_name", None)
        if full_name is not None and "first_name" not in attrs:
            first, _unused, last = full_name.strip().partition(" ")
            attrs["first_name"] = first
            attrs.setdefault("last_name", last.strip())
        if "phone" in attrs:
            attrs["phone"] = attrs["phone"] or ""
        if "roles" in attrs:
            attrs["roles"] = [role.name for role in attrs["roles"]]
        return attrs


class CustomerCreateSerializer(CustomerWriteSerializer):
    """A new client: a full name, or a first and a last name."""

    email = serializers.EmailField()
    phone = PhoneNumberField()
    country = CountryField()
    currency = serializers.CharField(max_length=10)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("full_name") or "").strip() and not attrs.get("first_name"):
            raise serializers.ValidationError({"first_name": [_("Give first_name or full_name.")]})
        return super().validate(attrs)


class CustomerBulkUpdateRowSerializer(CustomerWriteSerializer):
    id = serializers.IntegerField()


class CustomerAssignSerializer(serializers.Serializer):
    conversion_agent_id = serializers.PrimaryKeyRelatedField(
        source="conversion_agent", queryset=staff_agents(), required=False, allow_null=True
    )
    retention_agent_id = serializers.PrimaryKeyRelatedField(
        source="retention_agent", queryset=staff_agents(), required=False, allow_null=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(_("Give conversion_agent_id and/or retention_agent_id."))
        return attrs


class CustomerStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Customer.Status.choices)


class KycApproveSerializer(serializers.Serializer):
    verification_level_id = serializers.PrimaryKeyRelatedField(
        source="level",
        queryset=VerificationLevel.objects.all(),
        required=False,
        allow_null=True,
        help_text="Level to grant; by default the highest level the approved documents earn.",
    )


class KycRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG, PNG, WEBP or HEIC, at most 10 MB.")
    document_type = serializers.ChoiceField(choices=Document.Type.choices)


class DocumentReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField()


class CallCreateSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Call.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CustomerEmailSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=255)
    body = serializers.CharField()
