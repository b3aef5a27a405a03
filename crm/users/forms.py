"""Admin forms: log-in with an optional one-time code, staff users, API tokens, two-factor set-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.forms import AuthenticationForm, UserChangeForm, UserCreationForm
from unfold.widgets import (
    BASE_INPUT_CLASSES,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from crm.core.roles import Role
from crm.users import security, services
from crm.users.models import ApiToken, User, available_time_zones, normalize_ip_list

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class OTPAuthenticationForm(AuthenticationForm):
    """The admin log-in: email and password, plus a one-time code for staff who have set up two-factor.

    Service accounts are refused like a wrong password. A wrong or missing code counts as a failed log-in
    for django-axes; a right one marks the session as verified (django_otp's `user_logged_in` handler).
    """

    otp_token = forms.CharField(
        label=_("One-time code"),
        required=False,
        max_length=8,
        help_text=_("Only if you have set up two-factor: the 6-digit code from your authenticator app."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "class": " ".join(BASE_INPUT_CLASSES)}
        ),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "otp_required": _("Enter the one-time code from your authenticator app."),
        "otp_invalid": _("The one-time code is not valid. Wait for the next code and try again."),
    }

    def confirm_login_allowed(self, user: User) -> None:
        if user.is_service_account:
            raise self.get_invalid_login_error()
        super().confirm_login_allowed(user)

    def clean(self) -> dict:
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and services.has_confirmed_totp(user):
            self._verify_otp(user, (cleaned.get("otp_token") or "").strip())
        return cleaned

    def _verify_otp(self, user: User, code: str) -> None:
        device = security.verified_device(user, code) if code else None
        if device is None:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": self.cleaned_data.get("username")},
                request=self.request,
            )
            raise ValidationError(
                self.error_messages["otp_invalid" if code else "otp_required"],
                code="otp_invalid" if code else "otp_required",
            )
        # django_otp.login(request, device) runs on user_logged_in and marks the session as verified.
        user.otp_device = device  # type: ignore[attr-defined]  # django-otp's attribute on the user


class StaffCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"])


class StaffChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"])


def role_groups():
    return Group.objects.filter(name__in=Role.values).order_by("name")


class AllowedIpsField(forms.CharField):
    """An IP allow-list typed one address or CIDR network per line (commas and spaces also separate)."""

    widget = UnfoldAdminTextareaWidget

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("IP allow-list"))
        kwargs.setdefault(
            "help_text",
            _("One IP address or network (CIDR, e.g. 10.0.0.0/8) per line. Empty: the token works from any address."),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def clean(self, value) -> list[str]:
        value = super().clean(value)
        try:
            return normalize_ip_list(value)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["allowed_ips"]) from exc


class ApiTokenCreateForm(forms.ModelForm):
    """What the admin asks to generate a token; the key itself is made by `services.create_api_token`."""

    allowed_ips = AllowedIpsField()

    class Meta:
        model = ApiToken
        fields = ["name", "role", "expires_at", "allowed_ips"]
        labels = {"expires_at": _("Expires at")}

    request = None  # set by the admin on the class it builds for one request

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = role_groups()  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["role"].help_text = _("The token can do exactly what this role can do.")

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise ValidationError(_("The expiry must be in the future."))
        return expires_at

    def clean_role(self) -> Group:
        role = self.cleaned_data["role"]
        actor = getattr(self.request, "user", None)
        if actor is not None and not services.can_grant_role(actor, role):
            raise ValidationError(_("You cannot give a token permissions you do not have yourself."))
        return role


class ApiTokenAllowListForm(forms.ModelForm):
    """A created token: only its allow-list can change."""

    allowed_ips = AllowedIpsField()

    class Meta:
        model = ApiToken
        fields = ["allowed_ips"]


class TOTPConfirmForm(forms.Form):
    token = forms.CharField(
        label=_("Code from the app"),
        max_length=8,
        widget=UnfoldAdminTextInputWidget(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def time_zone_choices() -> list[tuple[str, StrOrPromise]]:
    return [("", _("The server's time zone (UTC)")), *((name, name) for name in sorted(available_time_zones()))]


class TimeZoneForm(forms.Form):
    """A staff member's own time zone (crm.users.admin.UserAdmin.time_zone_view)."""

    time_zone = forms.ChoiceField(
        choices=time_zone_choices, required=False, label=_("Time zone"), widget=UnfoldAdminSelectWidget
    )
