"""Filters of the outbound email log."""

from __future__ import annotations

from django_filters import rest_framework as filters

from crm.communications.models import EmailMessage, EmailTemplate
from crm.core.api.filters import IsoDateTimeFilter


class EmailTemplateFilterSet(filters.FilterSet):
    trigger = filters.CharFilter()
    enabled = filters.BooleanFilter(field_name="is_enabled")
    recipient = filters.MultipleChoiceFilter(choices=EmailTemplate.Recipient.choices)
    category = filters.MultipleChoiceFilter(choices=EmailTemplate.Category.choices)

    class Meta:
        model = EmailTemplate
        fields = ["trigger"]


class EmailMessageFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=EmailMessage.Status.choices)
    trigger = filters.CharFilter()
    customer_id = filters.NumberFilter(field_name="customer_id")
    template_id = filters.NumberFilter(field_name="template_id")
    to_email = filters.CharFilter(lookup_expr="iexact")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = EmailMessage
        fields = ["trigger"]
