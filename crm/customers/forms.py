"""Admin forms for clients. The client form saves through `services`, so its rules are the API's rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from crm.core.exceptions import DomainError
from crm.customers import services
from crm.customers.models import Call, Customer, SalesStatus, VerificationLevel
from crm.users.models import User

CUSTOMER_FORM_FIELDS = [*services.EDITABLE_FIELDS, *services.RELATION_LISTS]


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a refused rule on the form: on the fields it names when the form has them, else above the form."""
    placed = False
    for name, field_messages in (exc.fields or {}).items():
        if name in form.fields:
            for message in field_messages if isinstance(field_messages, list | tuple) else [field_messages]:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def staff_agents():
    """Staff who may be assigned to clients (what `services._check_agents` accepts)."""
    return User.objects.filter(is_staff=True, is_active=True, is_service_account=False).order_by(
        "first_name", "last_name", "email"
    )


class ServiceSavedForm(forms.ModelForm):
    """A model form whose validation is the service call, in a savepoint, so the service's refusals land on
    fields; the admin view rolls the savepoint's work back if anything else on the page is invalid.
    Subclasses implement `run_service()`; `actor` is set per request by the admin."""

    actor: User | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved: Any = None

    def validate_unique(self) -> None:
        # Uniqueness is the service's rule, reported on the field.
        return

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # BaseModelForm._post_clean is not in django-stubs
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.saved = self.run_service()
        except DomainError as exc:
            add_domain_error(self, exc)

    def run_service(self) -> Any:
        raise NotImplementedError

    def save(self, commit: bool = True) -> Any:
        if self.saved is None:
            raise ValueError("The form is not valid.")
        self.save_m2m = self._save_m2m  # type: ignore[method-assign]  # Django's own pattern: relations saved later
        return self.saved

    def _save_m2m(self) -> None:
        # Relations were set by the service.
        return


class CustomerForm(ServiceSavedForm):
    """Create or change a client through `create_customer` / `update_customer` (which makes an agent's new
    client theirs and refuses the fields the agent's roles may not change)."""

    class Meta:
        model = Customer
        fields = CUSTOMER_FORM_FIELDS

    def _get_validation_exclusions(self) -> set[str]:
        # Keeps the model's email constraint for the service, whose error names the field.
        return {*super()._get_validation_exclusions(), "email"}  # type: ignore[misc]  # private to Django, absent from the stubs

    def _service_values(self, names: list[str]) -> dict[str, Any]:
        values = {}
        for name in names:
            value = self.cleaned_data[name]
            if name in services.RELATION_LISTS:
                value = [item.name for item in value]
            values[name] = value
        return values

    def run_service(self) -> Customer:
        if self.instance.pk is None:
            present = [name for name in CUSTOMER_FORM_FIELDS if name in self.cleaned_data]
            return services.create_customer(actor=self.actor, **self._service_values(present))
        changed = [name for name in self.changed_data if name in CUSTOMER_FORM_FIELDS]
        if not changed:
            return self.instance
        return services.update_customer(self.instance, actor=self.actor, **self._service_values(changed))


# Bulk actions (intermediate pages) ------------------------------------------------------


class AssignAgentsForm(forms.Form):
    conversion_agent = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Conversion agent"),
        widget=UnfoldAdminSelectWidget,
        help_text=_("Leave empty to keep each client's conversion agent."),
    )
    retention_agent = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Retention agent"),
        widget=UnfoldAdminSelectWidget,
        help_text=_("Leave empty to keep each client's retention agent."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["conversion_agent"].queryset = staff_agents()  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["retention_agent"].queryset = staff_agents()  # type: ignore[attr-defined]  # a ModelChoiceField

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if not data.get("conversion_agent") and not data.get("retention_agent"):
            raise forms.ValidationError(_("Choose a conversion or a retention agent."))
        return data

    def agent_values(self) -> dict[str, User]:
        return {name: agent for name, agent in self.cleaned_data.items() if agent is not None}


class ChangeStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Customer.Status.choices, label=_("Status"), widget=UnfoldAdminSelectWidget)


class SetSalesStatusForm(forms.Form):
    sales_status = forms.ModelChoiceField(
        queryset=SalesStatus.objects.all(),
        required=False,
        label=_("Sales status"),
        empty_label=_("(none)"),
        widget=UnfoldAdminSelectWidget,
    )


# Dialogs of detail actions --------------------------------------------------------------


class ConfirmDialogForm(BaseDialogForm):
    """A dialog with no fields: submitting it confirms."""


class KycApproveForm(BaseDialogForm):
    level = forms.ModelChoiceField(
        queryset=VerificationLevel.objects.all(),
        required=False,
        label=_("Verification level"),
        empty_label=_("The level the approved documents earn"),
        widget=UnfoldAdminSelectWidget,
    )


class ReasonDialogForm(BaseDialogForm):
    reason = forms.CharField(max_length=255, label=_("Reason"), widget=UnfoldAdminTextInputWidget, required=True)


class OptionalReasonDialogForm(BaseDialogForm):
    reason = forms.CharField(max_length=255, label=_("Reason"), widget=UnfoldAdminTextInputWidget, required=False)


class LogCallForm(BaseDialogForm):
    outcome = forms.ChoiceField(choices=Call.Outcome.choices, label=_("Outcome"), widget=UnfoldAdminSelectWidget)
    note = forms.CharField(label=_("Note"), widget=UnfoldAdminTextareaWidget, required=False)


class EmailClientForm(BaseDialogForm):
    subject = forms.CharField(max_length=255, label=_("Subject"), widget=UnfoldAdminTextInputWidget)
    body = forms.CharField(label=_("Message"), widget=UnfoldAdminTextareaWidget)


class CommentDialogForm(BaseDialogForm):
    body = forms.CharField(label=_("Comment"), widget=UnfoldAdminTextareaWidget, required=True)
