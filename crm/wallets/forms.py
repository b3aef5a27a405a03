"""Admin forms of the money pages: each one's validation is the service call, so the rules are the API's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from crm.customers.forms import ServiceSavedForm
from crm.wallets import services
from crm.wallets.api.serializers import MOVEMENT_TYPES
from crm.wallets.models import Wallet

MONEY = {"max_digits": 28, "decimal_places": 8, "min_value": 0, "widget": UnfoldAdminDecimalFieldWidget}


class WalletForm(ServiceSavedForm):
    """Change a wallet's caption, group, leverage and switches through `update_wallet`."""

    instance: Wallet

    class Meta:
        model = Wallet
        fields = list(services.accounts.EDITABLE)

    def run_service(self) -> Wallet:
        changed = {name: self.cleaned_data[name] for name in self.changed_data if name in self.Meta.fields}
        if not changed:
            return self.instance
        return services.update_wallet(self.instance, actor=self.actor, **changed)


class ApproveDialogForm(BaseDialogForm):
    changed_amount = forms.DecimalField(
        required=False, label=_("Approve a lower amount"), help_text=_("Withdrawals only; empty keeps it."), **MONEY
    )
    comment = forms.CharField(required=False, label=_("Comment"), widget=UnfoldAdminTextareaWidget)


class RejectDialogForm(BaseDialogForm):
    reason = forms.CharField(max_length=255, label=_("Reason"), widget=UnfoldAdminTextInputWidget)


class RefundDialogForm(BaseDialogForm):
    comment = forms.CharField(required=False, label=_("Comment"), widget=UnfoldAdminTextareaWidget)


class ChargebackDialogForm(BaseDialogForm):
    reason = forms.CharField(
        max_length=255, label=_("Reason"), help_text=_("The dispute reason the bank gave."),
        widget=UnfoldAdminTextInputWidget,
    )  # fmt: skip


class MovementDialogForm(BaseDialogForm):
    type = forms.ChoiceField(choices=MOVEMENT_TYPES, label=_("Type"), widget=UnfoldAdminSelectWidget)
    amount = forms.DecimalField(label=_("Amount"), **MONEY)
    is_increase = forms.BooleanField(
        required=False, initial=True, label=_("Adds to the wallet"), help_text=_("Corrections: off takes away."),
        widget=UnfoldBooleanSwitchWidget,
    )  # fmt: skip
    add_to_credit = forms.BooleanField(
        required=False, label=_("Credit line"), help_text=_("Bonuses and corrections only."),
        widget=UnfoldBooleanSwitchWidget,
    )  # fmt: skip
    comment = forms.CharField(required=False, label=_("Comment"), widget=UnfoldAdminTextareaWidget)

    def values(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in ("type", "amount", "is_increase", "add_to_credit", "comment")
        }


class StatementPeriodForm(forms.Form):
    start = forms.SplitDateTimeField(label=_("From"), widget=UnfoldAdminSplitDateTimeWidget)
    end = forms.SplitDateTimeField(label=_("To"), widget=UnfoldAdminSplitDateTimeWidget)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError(_("The end must be after the start."))
        return data
