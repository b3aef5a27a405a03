"""Back-office lead serializers: read shapes and one input serializer per write."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.customers.api.serializers import ActivitySerializer, NamedRefSerializer, SalesStatusRefSerializer
from crm.customers.models import Customer, SalesStatus
from crm.sales.models import Lead, LeadComment, LeadCommunication
from crm.users.models import Desk, User

__all__ = ["ActivitySerializer"]

MAX_BULK_FILTER_VALUES = 500


class SalesPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)
    email = serializers.EmailField(read_only=True)
    is_absent = serializers.BooleanField(read_only=True)


class LeadSerializer(serializers.ModelSerializer):
    """A lead as lists and the lead page show it, with the sales desk's fields."""

    name = serializers.CharField(source="full_name", read_only=True)
    country = CountryField(read_only=True, allow_blank=True)
    sales_status = SalesStatusRefSerializer(read_only=True, allow_null=True)
    sales_person = SalesPersonSerializer(read_only=True, allow_null=True)
    desk = NamedRefSerializer(read_only=True, allow_null=True)
    is_duplicate = serializers.BooleanField(read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "country",
            "language",
            "can_be_called",
            "source",
            "campaign",
            "affiliate_id",
            "external_id",
            "sub_id",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "sales_status",
            "sales_person_id",
            "sales_person",
            "desk",
            "last_contact_at",
            "follow_up_at",
            "follow_up_note",
            "is_duplicate",
            "duplicate_score",
            "duplicate_of_id",
            "duplicate_customer_id",
            "merged_into_id",
            "customer_id",
            "converted_at",
            "signup_code",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _staff() -> Any:
    return User.objects.active_staff()


class LeadWriteSerializer(serializers.Serializer):
    """Fields of a lead staff may set. `name` is split into first and last name when those are not given."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=301)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="E.164 or national.")
    country = CountryField(required=False, allow_blank=True)
    language = serializers.CharField(required=False, allow_blank=True, max_length=10)
    can_be_called = serializers.BooleanField(required=False)
    source = serializers.CharField(required=False, allow_blank=True, max_length=100)  # type: ignore[assignment]  # a field named "source" shadows Field.source
    campaign = serializers.CharField(required=False, allow_blank=True, max_length=255)
    affiliate_id = serializers.PrimaryKeyRelatedField(
        source="affiliate", queryset=Customer.objects.all(), required=False, allow_null=True
    )
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    sub_id = serializers.CharField(required=False, allow_blank=True, max_length=255)
    utm_source = serializers.CharField(required=False, allow_blank=True, max_length=255)
    utm_medium = serializers.CharField(required=False, allow_blank=True, max_length=255)
    utm_campaign = serializers.CharField(required=False, allow_blank=True, max_length=255)
    utm_term = serializers.CharField(required=False, allow_blank=True, max_length=255)
    utm_content = serializers.CharField(required=False, allow_blank=True, max_length=255)
    sales_status_id = serializers.PrimaryKeyRelatedField(
        source="sales_status", queryset=SalesStatus.objects.all(), required=False, allow_null=True
    )
    sales_person_id = serializers.PrimaryKeyRelatedField(
        source="sales_person", queryset=_staff(), required=False, allow_null=True
    )
    desk_id = serializers.PrimaryKeyRelatedField(
        source="desk", queryset=Desk.objects.all(), required=False, allow_null=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        name = attrs.pop("name", None)
        if name and "first_name" not in attrs and "last_name" not in attrs:
            attrs["first_name"], _unused, attrs["last_name"] = name.strip().partition(" ")
        return attrs


class LeadAssignSerializer(serializers.Serializer):
    sales_person_id = serializers.PrimaryKeyRelatedField(
        source="sales_person", queryset=_staff(), allow_null=True, help_text="null unassigns the lead."
    )
    desk_id = serializers.PrimaryKeyRelatedField(
        source="desk", queryset=Desk.objects.all(), required=False, allow_null=True, help_text="Also move the lead."
    )


class LeadStatusSerializer(serializers.Serializer):
    sales_status_id = serializers.PrimaryKeyRelatedField(
        source="sales_status", queryset=SalesStatus.objects.all(), allow_null=True
    )


class LeadCommentSerializer(serializers.ModelSerializer):
    comment = serializers.CharField(source="body", read_only=True)
    author = SalesPersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = LeadComment
        fields = ["id", "comment", "author", "created_at"]
        read_only_fields = fields


class LeadCommentCreateSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=10000)
    is_contact = serializers.BooleanField(
        default=False, help_text="The note records a call or meeting: the last contact time moves to now."
    )


class LeadCommunicationSerializer(serializers.ModelSerializer):
    staff = SalesPersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = LeadCommunication
        fields = ["id", "channel", "status", "staff", "recipient", "subject", "body", "created_at"]
        read_only_fields = fields


class LeadEmailSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=255)
    body = serializers.CharField(max_length=50000)


class LeadFollowUpSerializer(serializers.Serializer):
    follow_up_at = serializers.DateTimeField(allow_null=True, help_text="null clears the follow-up.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class LeadMergeSerializer(serializers.Serializer):
    other_id = serializers.IntegerField(help_text="The lead merged into this one; it must be visible to the caller.")


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class _StringList(serializers.ListField):
    child = serializers.CharField(max_length=100)


class LeadBulkEditSerializer(serializers.Serializer):
    """A bulk edit of leads: what to set, and the filters choosing the leads (all of them must match)."""

    selected_status = serializers.PrimaryKeyRelatedField(
        queryset=SalesStatus.objects.all(), required=False, allow_null=True, help_text="Sales status id to set."
    )
    selected_sales_person = serializers.PrimaryKeyRelatedField(
        queryset=_staff(), required=False, allow_null=True, help_text="Sales person id to set."
    )
    search = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    statuses = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=MAX_BULK_FILTER_VALUES, help_text="Status ids."
    )
    sales_people = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=MAX_BULK_FILTER_VALUES, help_text="Staff ids."
    )
    sources = _StringList(required=False, max_length=MAX_BULK_FILTER_VALUES)
    only_assigned_to_me = serializers.BooleanField(required=False, default=False)
    country = serializers.RegexField(r"^[A-Z]{2}$", required=False, help_text="ISO 3166-1 alpha-2.")
    modified_before = serializers.DateTimeField(required=False)
    modified_after = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("selected_status") is None and attrs.get("selected_sales_person") is None:
            raise serializers.ValidationError({"selected_status": [_("Choose a status or a sales person to set.")]})
        return attrs

    def filter_params(self) -> dict[str, list[str]]:
        """The body's filters as LeadFilterSet query parameters."""
        data = self.validated_data
        params: dict[str, list[str]] = {}
        if data.get("search"):
            params["search"] = [data["search"]]
        for key, param in (
            ("statuses", "sales_status_id"),
            ("sales_people", "sales_person_id"),
            ("sources", "source"),
        ):
            if data.get(key):
                params[param] = [str(v) for v in data[key]]
        if data.get("only_assigned_to_me"):
            params["only_assigned_to_me"] = ["true"]
        if data.get("country"):
            params["country"] = [data["country"]]
        for key, param in (("modified_before", "modified_before"), ("modified_after", "modified_after")):
            if data.get(key):
                params[param] = [data[key].isoformat()]
        return params


class BulkEditResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    updated = serializers.IntegerField()
