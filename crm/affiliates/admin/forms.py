"""Admin forms of the affiliate program: each one saves through a service, so the rules are the API's."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminDecimalFieldWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from crm.affiliates import services
from crm.affiliates.models import Affiliate
from crm.customers.forms import ServiceSavedForm


class ReasonDialogForm(BaseDialogForm):
    reason = forms.CharField(max_length=255, label=_("Reason"), widget=UnfoldAdminTextInputWidget)


class OptionalReasonDialogForm(BaseDialogForm):
    reason = forms.CharField(max_length=255, required=False, label=_("Reason"), widget=UnfoldAdminTextInputWidget)


class CorrectDialogForm(BaseDialogForm):
    amount = forms.DecimalField(
        max_digits=28, decimal_places=8, label=_("Corrected amount"), widget=UnfoldAdminDecimalFieldWidget
    )
    comment = forms.CharField(label=_("Comment"), widget=UnfoldAdminTextareaWidget)


class AffiliateForm(ServiceSavedForm):
    """Enrol a client (`enroll_affiliate`) or change a profile (`update_affiliate`, `move_affiliate`)."""

    class Meta:
        model = Affiliate
        fields = [
            "customer",
            "parent",
            "currency",
            "commission_model",
            "manager",
            "show_contact_details",
            "auto_payout",
        ]

    def run_service(self) -> Affiliate:
        data = self.cleaned_data
        if self.instance.pk is None:
            return services.enroll_affiliate(
                data["customer"],
                actor=self.actor,
                parent=data.get("parent"),
                currency=data["currency"].code,
                commission_model=data.get("commission_model"),
                manager=data.get("manager"),
                show_contact_details=data.get("show_contact_details", False),
                auto_payout=data.get("auto_payout", False),
            )
        affiliate = Affiliate.objects.get(pk=self.instance.pk)
        if "parent" in self.changed_data:
            affiliate = services.move_affiliate(affiliate, parent=data.get("parent"), actor=self.actor)
        changed = {
            name: data[name]
            for name in self.changed_data
            if name in {"currency", "commission_model", "manager", "show_contact_details", "auto_payout"}
        }
        if changed:
            affiliate = services.update_affiliate(affiliate, actor=self.actor, **changed)
        return affiliate
