"""Admin forms for leads: the lead form saves through `services`, so its rules are the API's rules."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from crm.core import jsontext
from crm.customers.forms import ServiceSavedForm, staff_agents
from crm.customers.models import SalesStatus
from crm.sales import services
from crm.sales.models import Lead, LeadImport
from crm.sales.services import imports
from crm.users.models import Desk

LEAD_FORM_FIELDS = services.EDITABLE_FIELDS


class LeadForm(ServiceSavedForm):
    """Create or change a lead through `create_lead` / `update_lead`."""

    class Meta:
        model = Lead
        fields = LEAD_FORM_FIELDS

    def _post_clean(self) -> None:
        # The model's own checks (email format, E.164 length) would refuse a national number the service
        # normalises; the service validates instead.
        self._validate_unique = False
        super()._post_clean()

    def _get_validation_exclusions(self) -> set[str]:
        return set(self.fields)

    def run_service(self) -> Lead:
        values = {name: self.cleaned_data[name] for name in self.changed_data if name in LEAD_FORM_FIELDS}
        if self.instance.pk is None:
            values = {name: self.cleaned_data[name] for name in LEAD_FORM_FIELDS if name in self.cleaned_data}
            values = {k: v for k, v in values.items() if v not in (None, "")}
            return services.create_lead(actor=self.actor, **values)
        return services.update_lead(self.instance, actor=self.actor, **values)


class AssignLeadsForm(forms.Form):
    sales_person = forms.ModelChoiceField(
        queryset=staff_agents(), label=_("Sales person"), widget=UnfoldAdminSelectWidget
    )


class LeadStatusForm(forms.Form):
    sales_status = forms.ModelChoiceField(
        queryset=SalesStatus.objects.all(), label=_("Sales status"), widget=UnfoldAdminSelectWidget
    )


class SendEmailDialogForm(BaseDialogForm):
    subject = forms.CharField(max_length=255, widget=UnfoldAdminTextInputWidget)
    body = forms.CharField(widget=UnfoldAdminTextareaWidget)


class FollowUpDialogForm(BaseDialogForm):
    follow_up_at = forms.SplitDateTimeField(
        label=_("Follow up on"), required=False, widget=UnfoldAdminSplitDateTimeWidget
    )
    note = forms.CharField(max_length=255, required=False, widget=UnfoldAdminTextInputWidget)


class MergeDialogForm(BaseDialogForm):
    other_id = forms.IntegerField(
        label=_("Lead id to merge into this one"), min_value=1, widget=UnfoldAdminIntegerFieldWidget
    )


class ClaimDialogForm(BaseDialogForm):
    pass


class LeadImportForm(ServiceSavedForm):
    """Upload a file of leads; `create_import` stores it and the mapping, and the page then shows a preview."""

    mapping = forms.CharField(
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_(
            'Optional JSON, lead field to column header: {"email": "E-mail address"}. Known headers map themselves.'
        ),
    )
    source = forms.CharField(required=False, max_length=100, widget=UnfoldAdminTextInputWidget)
    campaign = forms.CharField(required=False, max_length=255, widget=UnfoldAdminTextInputWidget)
    sales_status = forms.ModelChoiceField(SalesStatus.objects.all(), required=False, widget=UnfoldAdminSelectWidget)
    desk = forms.ModelChoiceField(Desk.objects.all(), required=False, widget=UnfoldAdminSelectWidget)
    sales_person = forms.ModelChoiceField(staff_agents(), required=False, widget=UnfoldAdminSelectWidget)
    assign = forms.BooleanField(required=False, initial=True, help_text=_("Route with the assignment rules."))

    class Meta:
        model = LeadImport
        fields = ["file", "batch_size"]

    def clean_mapping(self) -> dict[str, str]:
        raw = (self.cleaned_data.get("mapping") or "").strip()
        if not raw:
            return {}
        try:
            value = jsontext.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON.")) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give a JSON object."))
        return {str(k): str(v) for k, v in value.items()}

    def run_service(self) -> LeadImport:
        data: dict[str, Any] = self.cleaned_data
        upload = data["file"]
        if self.actor is None:  # the admin sets the actor of every request
            raise PermissionDenied
        return imports.create_import(
            owner=self.actor,
            file=upload,
            name=upload.name,
            mapping=data.get("mapping") or {},
            defaults={
                "source": data.get("source", ""),
                "campaign": data.get("campaign", ""),
                "sales_status": data["sales_status"].pk if data.get("sales_status") else None,
                "desk": data["desk"].pk if data.get("desk") else None,
                "sales_person": data["sales_person"].pk if data.get("sales_person") else None,
                "assign": data.get("assign", False),
            },
            batch_size=data.get("batch_size") or 1000,
        )
