"""Admin for staff, roles, API tokens and two-factor devices; the admin log-in form with a one-time code."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm

from crm.core.admin import ReadOnlyAdminMixin
from crm.core.admin_filters import keep_choices_of
from crm.core.exceptions import DomainError
from crm.users import services, two_factor
from crm.users.forms import (
    ApiTokenAllowListForm,
    ApiTokenCreateForm,
    OTPAuthenticationForm,
    StaffChangeForm,
    StaffCreationForm,
    TimeZoneForm,
)
from crm.users.models import ApiToken, Desk, Device, LoginRecord, User
from crm.users.requests import staff_user

if TYPE_CHECKING:
    from crm.users.models import ApiTokenQuerySet, UserQuerySet

admin.site.login_form = OTPAuthenticationForm
admin.site.login_template = "admin/login.html"

_site_has_permission = admin.site.has_permission


def _people_only(request: HttpRequest) -> bool:
    # A service account acts only through its API token, even if a session for it appeared somehow.
    return _site_has_permission(request) and not getattr(request.user, "is_service_account", False)


admin.site.has_permission = _people_only  # type: ignore[method-assign]  # the site's check, narrowed


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    """Staff and portal users; API-token service accounts are managed through their tokens and hidden here."""

    form = StaffChangeForm
    add_form = StaffCreationForm
    change_password_form = AdminPasswordChangeForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language", "time_zone")}),
        (
            _("Access"),
            {"fields": ("is_active", "is_absent", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "full_name", "roles", "is_staff", "is_active", "is_absent", "last_login")
    list_filter = ("groups", "is_active", "is_absent", "is_staff", "is_superuser")
    actions = ["mark_absent", "mark_present"]
    search_fields = ("^email", "^first_name", "^last_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "is_absent")
    filter_horizontal = ("groups", "user_permissions")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest):
        return cast("UserQuerySet", super().get_queryset(request)).people().prefetch_related("groups")

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        if request.path == reverse("admin:autocomplete"):
            # Other admins pick agents through autocomplete: only people who can be given work.
            queryset = queryset.filter(is_active=True, is_staff=True)
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser hands out superuser status or permissions outside the roles.
            fields += ["is_superuser", "user_permissions"]
        return fields

    def get_urls(self):
        return [
            path("time-zone/", self.admin_site.admin_view(self.time_zone_view), name="users_time_zone"),
            path(
                "two-factor/",
                self.admin_site.admin_view(self.two_factor_view),
                name="users_two_factor",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("Name"), ordering="last_name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description=_("Roles"))
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all()))

    def _set_absence(self, request: HttpRequest, queryset, *, is_absent: bool) -> None:
        changed = 0
        for user in queryset.filter(is_staff=True).exclude(is_absent=is_absent).order_by("pk"):
            services.set_absence(user, is_absent=is_absent, actor=request.user)
            changed += 1
        self.message_user(request, _("%(count)d staff member(s) changed.") % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Mark absent (no new leads)"), permissions=["change"])
    def mark_absent(self, request: HttpRequest, queryset) -> None:
        self._set_absence(request, queryset, is_absent=True)

    @admin.action(description=_("Mark back at work"), permissions=["change"])
    def mark_present(self, request: HttpRequest, queryset) -> None:
        self._set_absence(request, queryset, is_absent=False)

    def time_zone_view(self, request: HttpRequest) -> HttpResponse:
        """Every staff member chooses the time zone the admin shows times in."""
        user = staff_user(request)
        form = TimeZoneForm(request.POST or None, initial={"time_zone": user.time_zone})
        if request.method == "POST" and form.is_valid():
            try:
                services.set_time_zone(user, time_zone=form.cleaned_data["time_zone"], actor=user)
            except DomainError as exc:
                form.add_error("time_zone", exc.message)
            else:
                messages.success(request, _("Times are now shown in %(zone)s.") % {"zone": user.time_zone or "UTC"})
                return HttpResponseRedirect(reverse("admin:index"))
        context = {**self.admin_site.each_context(request), "title": _("Your time zone"), "form": form}
        return TemplateResponse(request, "admin/users/time_zone.html", context)

    def two_factor_view(self, request: HttpRequest) -> HttpResponse:
        """Every staff member sets up their own authenticator app here (admin_view adds never_cache and CSRF)."""
        return two_factor.setup_view(self.admin_site, request)


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(BaseGroupAdmin, ModelAdmin):
    """Roles are groups: their permissions decide what staff and API tokens may do."""

    list_display = ("name", "member_count")
    search_fields = ("name",)
    ordering = ("name",)
    filter_horizontal = ("permissions",)

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(_members=Count("user", filter=Q(user__is_service_account=False), distinct=True))
        )

    @admin.display(description=_("Staff"), ordering="_members")
    def member_count(self, obj: Group) -> int:
        return obj._members  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    """Tokens are generated here; the key is shown once on the page after saving, then only its prefix."""

    list_display = (
        "name",
        "key_prefix_display",
        "role",
        "expires_at",
        "expired",
        "last_used_at",
        "last_used_ip",
        "created_by",
        "created_at",
    )
    list_filter = ("role",)
    list_select_related = ("role", "created_by")
    search_fields = ("name", "=key_prefix")
    ordering = ("-created_at",)
    show_full_result_count = False
    readonly_fields = (
        "name",
        "role",
        "expires_at",
        "key_prefix_display",
        "created_by",
        "created_at",
        "last_used_at",
        "last_used_ip",
    )
    change_fields = (
        "name",
        "key_prefix_display",
        "role",
        "expires_at",
        "allowed_ips",
        "created_by",
        "created_at",
        "last_used_at",
        "last_used_ip",
    )

    def get_queryset(self, request: HttpRequest):
        return cast("ApiTokenQuerySet", super().get_queryset(request)).for_list()

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ApiTokenCreateForm.Meta.fields
        return self.change_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        kwargs["form"] = ApiTokenAllowListForm if obj is not None else ApiTokenCreateForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # type: ignore[attr-defined]  # the form reads it
        return form

    @admin.display(description=_("Key"))
    def key_prefix_display(self, obj: ApiToken) -> str:
        return f"{obj.key_prefix}…" if obj.key_prefix else ""

    @admin.display(description=_("Expired"), boolean=True)
    def expired(self, obj: ApiToken) -> bool:
        return obj.is_expired

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if change:
            services.update_api_token_allowed_ips(
                obj, allowed_ips=form.cleaned_data["allowed_ips"], actor=request.user
            )
            return
        data = form.cleaned_data
        token, raw_key = services.create_api_token(
            name=data["name"],
            role=data["role"],
            expires_at=data.get("expires_at"),
            allowed_ips=data.get("allowed_ips"),
            actor=request.user,  # type: ignore[arg-type]  # an admin request has a logged-in user
        )
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        obj._state.db = token._state.db
        obj._raw_key = raw_key  # type: ignore[attr-defined]  # shown once by response_add

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """Nothing related to save: the service wrote the token and its service account."""

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None) -> HttpResponse:
        # The raw key goes straight into this response and nowhere else: not the session, not a message.
        response = TemplateResponse(
            request,
            "admin/users/apitoken/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Token generated"),
                "token": obj,
                "raw_key": obj._raw_key,  # type: ignore[attr-defined]  # set by save_model
                "change_url": reverse("admin:users_apitoken_change", args=[obj.pk]),
                "list_url": reverse("admin:users_apitoken_changelist"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        services.delete_api_token(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for token in queryset:
            services.delete_api_token(token, actor=request.user)


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ModelAdmin):
    """Staff authenticator apps. Secrets are never shown; deleting a device resets that person's two-factor."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    search_fields = ("^user__email", "^user__last_name")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    readonly_fields = fields
    actions = ["reset_selected"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        services.reset_totp_devices(obj.user, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for user in User.objects.filter(pk__in=queryset.values("user_id")):
            services.reset_totp_devices(user, actor=request.user)

    @admin.action(description=_("Reset two-factor of the selected staff"), permissions=["delete"])
    def reset_selected(self, request: HttpRequest, queryset) -> None:
        users = list(User.objects.filter(pk__in=queryset.values("user_id")))
        for user in users:
            try:
                services.reset_totp_devices(user, actor=request.user)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
        self.message_user(
            request, _("Two-factor reset for %(count)d staff members.") % {"count": len(users)}, messages.SUCCESS
        )


@admin.register(LoginRecord)
class LoginRecordAdmin(ReadOnlyAdminMixin, ModelAdmin):
    """Portal log-in attempts (the client sees their own in the portal); read-only."""

    list_display = ("created_at", "email", "result", "reason", "ip_address", "impersonated_by")
    list_filter = ("result", "reason")
    list_select_related = ("impersonated_by",)
    search_fields = ("=email",)
    show_full_result_count = False
    readonly_fields = (
        "created_at",
        "email",
        "user",
        "result",
        "reason",
        "ip_address",
        "user_agent",
        "impersonated_by",
    )
    fields = readonly_fields


@admin.register(Device)
class DeviceAdmin(ModelAdmin):
    """Browsers and apps clients logged in from; read-only (clients remove their own in the portal)."""

    list_display = ("user", "platform", "ip_address", "last_sign_in", "created_at")
    list_select_related = ("user",)
    search_fields = ("^user__email",)
    show_full_result_count = False
    fields = ("user", "platform", "user_agent", "web_timezone", "ip_address", "last_sign_in", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


keep_choices_of(Desk)  # the leads' desk filter


@admin.register(Desk)
class DeskAdmin(ModelAdmin):
    """Sales desks: conversion or retention teams with a manager; saved through the desk services."""

    list_display = ("name", "desk_type", "manager", "member_count")
    list_filter = ("desk_type",)
    list_select_related = ("manager",)
    search_fields = ("name",)
    autocomplete_fields = ("manager", "members")
    fields = ("name", "desk_type", "manager", "members")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(members_total=Count("members"))

    @admin.display(description=_("Members"), ordering="members_total")
    def member_count(self, obj: Desk) -> int:
        return obj.members_total  # type: ignore[attr-defined]  # annotated by get_queryset

    def save_model(self, request: HttpRequest, obj: Desk, form, change: bool) -> None:
        data = form.cleaned_data
        values = {"name": data["name"], "desk_type": data["desk_type"], "manager": data.get("manager")}
        members = list(data.get("members") or [])
        try:
            if change:
                saved = services.update_desk(obj, actor=request.user, members=members, **values)
            else:
                saved = services.create_desk(actor=request.user, members=members, **values)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        return  # members were set by the service

    def delete_model(self, request: HttpRequest, obj: Desk) -> None:
        services.delete_desk(obj, actor=request.user)
