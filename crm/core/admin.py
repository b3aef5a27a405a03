"""Admin of the core models (settings, activity log, outbox, export jobs) and mixins shared by the apps' admins."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers as admin_helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import FieldTextFilter, RangeDateTimeFilter
from unfold.decorators import display

from crm.core import events
from crm.core.exceptions import DomainError
from crm.core.exports.admin import ExportAdminMixin
from crm.core.files import signed_file_url
from crm.core.models import (
    Activity,
    ActivityQuerySet,
    ExportJob,
    ExportJobQuerySet,
    OutboxEvent,
    Setting,
    parse_setting_value,
)
from crm.core.money import format_money
from crm.core.services import set_setting

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    # The mixins below are seen by the type checker as the ModelAdmin they are mixed into.
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object

__all__ = [
    "ActivityAdmin",
    "BulkFormActionMixin",
    "ExportAdminMixin",
    "ExportJobAdmin",
    "ObjectActionAdminMixin",
    "OutboxEventAdmin",
    "ReadOnlyAdminMixin",
    "SettingAdmin",
    "back_to",
    "run_service",
]

HIDDEN_VALUE = "•••"
_current_request: ContextVar[HttpRequest | None] = ContextVar("export_admin_request", default=None)


class SettingForm(forms.ModelForm[Setting]):
    """Takes a new value; a secret's current value is never put back into the page."""

    value = forms.CharField(
        label=_("Value"), required=False, widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"})
    )

    class Meta:
        model = Setting
        fields = ["key", "value_type", "is_secret", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk and instance.is_secret:
            self.fields["value"].help_text = _("Set. Leave empty to keep the current secret; type to replace it.")
        elif instance.pk:
            self.initial["value"] = instance.stored_value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        value, value_type = data.get("value", ""), data.get("value_type") or Setting.Type.STRING
        keeps_secret = self.instance.pk and self.instance.is_secret and value == ""
        if keeps_secret:
            return data
        try:
            parse_setting_value(value, value_type)
        except ValidationError as exc:
            self.add_error("value", exc.message_dict["value"])
        return data


class ReadOnlyAdminMixin:
    """Rows written only by the system or through services: staff may look, never add, change or delete.

    For model admins and inlines alike (an inline's `has_add_permission` also receives the parent object).
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceFormAdminMixin(_ModelAdmin):
    """For model forms that save through a service while they validate (e.g. `ServiceSavedForm`): the form
    gets the acting user, the admin's own save is skipped, and a page shown again with errors leaves
    nothing behind."""

    def form_attributes(self, request: HttpRequest) -> dict[str, Any]:
        """Attributes set on the form class for this request; extend to pass more."""
        return {"actor": request.user}

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), self.form_attributes(request))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        return  # the form saved through the service while validating

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        with transaction.atomic():
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.method == "POST" and getattr(response, "status_code", 302) == 200:
                transaction.set_rollback(True)
        return response


class BulkFormActionMixin(_ModelAdmin):
    """Bulk actions that ask for a value on a confirmation page, then hand it to the app's service.

    The page names the rows `bulk_noun`/`bulk_noun_plural`, or the model's verbose names when unset.
    """

    bulk_noun: StrOrPromise | None = None
    bulk_noun_plural: StrOrPromise | None = None
    bulk_done_message: StrOrPromise = _("%(count)d row(s) changed.")

    def run_bulk_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        *,
        form_class: type[forms.Form],
        title: StrOrPromise,
        apply: Callable[[forms.Form], int],
    ) -> HttpResponse | None:
        """Show `form_class` until it is valid, then report how many rows `apply(form)` changed."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self._bulk_form_page(request, queryset, form, title)
        try:
            changed = apply(form)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, self.bulk_done_message % {"count": changed}, messages.SUCCESS)
        return None

    def _bulk_form_page(
        self, request: HttpRequest, queryset: QuerySet[Any], form: forms.Form, title: StrOrPromise
    ) -> TemplateResponse:
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": opts,
            "noun": self.bulk_noun,
            "noun_plural": self.bulk_noun_plural,
            "form": form,
            "action_name": request.POST.get("action", ""),
            "select_across": request.POST.get("select_across", "0"),
            "selected": request.POST.getlist(admin_helpers.ACTION_CHECKBOX_NAME),
            "count": queryset.count(),
            "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        }
        return TemplateResponse(request, "admin/bulk_action.html", context)


def back_to(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect after a dialog action: htmx dialogs need HX-Redirect, plain forms a 302."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def run_service(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    work: Callable[[], object],
    done: StrOrPromise | Callable[[Any], StrOrPromise],
    url: str,
) -> HttpResponse:
    """Call a service; a refusal (a `DomainError`, or a model's `ValidationError`) becomes an error message,
    success the `done` message (or `done(result)`); then back to `url`.

    Only a POST (a dialog's form, CSRF-checked) changes anything: a link, an image or a redirect someone else
    planted must never run an action with the staff member's session.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        result = work()
    except DomainError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
    except ValidationError as exc:
        modeladmin.message_user(request, "; ".join(exc.messages), messages.ERROR)
    else:
        modeladmin.message_user(request, done(result) if callable(done) else done, messages.SUCCESS)
    return back_to(request, url)


class ObjectActionAdminMixin(_ModelAdmin):
    """Detail-page actions (dialogs) that call one service on the object, then go back to its change page."""

    def run_object_action(
        self,
        request: HttpRequest,
        object_id: str,
        work: Callable[[Any], object],
        done: StrOrPromise | Callable[[Any], StrOrPromise],
    ) -> HttpResponse:
        """`work(obj)` on the object the user may see (404 otherwise), reported as `run_service` does."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        return run_service(self, request, lambda: work(obj), done, url)


@admin.register(Setting)
class SettingAdmin(ModelAdmin[Setting]):
    form = SettingForm
    list_display = ["key", "value_type", "shown_value", "is_secret", "updated_at"]
    list_filter = ["value_type", "is_secret"]
    search_fields = ["key", "description"]
    fields = ["key", "value_type", "is_secret", "value", "description"]

    def get_readonly_fields(self, request: HttpRequest, obj: Setting | None = None) -> list[str]:
        return ["key"] if obj else []

    @display(description=_("Value"))
    def shown_value(self, obj: Setting) -> str:
        if obj.is_secret:
            return HIDDEN_VALUE if obj.stored_value else ""
        return obj.stored_value[:80]

    def save_model(self, request: HttpRequest, obj: Setting, form: SettingForm, change: bool) -> None:
        value = form.cleaned_data.get("value", "")
        if change and value == "" and Setting.objects.filter(pk=obj.pk, is_secret=True).exists():
            value = Setting.objects.get(pk=obj.pk).value  # keep the secret as it is
        saved = set_setting(
            obj.key,
            value,
            value_type=obj.value_type,
            is_secret=obj.is_secret,
            description=obj.description,
            actor=request.user,
        )
        obj.pk, obj.stored_value = saved.pk, saved.stored_value


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdminMixin, ExportAdminMixin, ModelAdmin[Activity]):
    list_display = ["created_at", "actor_repr", "channel", "action", "target_type", "target_repr", "ip_address"]
    list_filter = [
        ("action", FieldTextFilter),
        ("channel", FieldTextFilter),
        ("created_at", RangeDateTimeFilter),
    ]
    list_filter_submit = True
    search_fields = ["target_repr", "=target_id", "actor_repr"]
    list_select_related = ["actor", "target_type"]
    show_full_result_count = False
    date_hierarchy = None
    readonly_fields = [field.name for field in Activity._meta.fields]

    def get_queryset(self, request: HttpRequest) -> ActivityQuerySet:
        return cast(ActivityQuerySet, super().get_queryset(request)).for_list()


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdminMixin, ModelAdmin[OutboxEvent]):
    list_display = ["id", "name", "created_at", "dispatched_at", "attempts", "short_error"]
    list_filter = [("name", FieldTextFilter), ("created_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["name"]
    show_full_result_count = False
    readonly_fields = ["name", "payload", "created_at", "dispatched_at", "attempts", "last_error"]
    actions = ["dispatch_again"]

    @display(description=_("Last error"))
    def short_error(self, obj: OutboxEvent) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Dispatch again"), permissions=["view"])
    def dispatch_again(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        count = events.redispatch(list(queryset.values_list("pk", flat=True)))
        messages.info(request, _("%(count)d undispatched event(s) queued again.") % {"count": count})


EXPORT_JOB_FIELDS = (
    "owner",
    "source",
    "target",
    "description",
    "params",
    "status",
    "progress",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "expires_at",
    "download",
)


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdminMixin, ModelAdmin[ExportJob]):
    list_display = ["id", "description", "owner", "status", "progress", "created_at", "download"]
    list_filter = ["status", "source"]
    search_fields = ["description", "target"]
    list_select_related = ["owner"]
    fields = EXPORT_JOB_FIELDS
    readonly_fields = EXPORT_JOB_FIELDS
    change_form_template = "admin/core/exportjob/change_form.html"

    def get_queryset(self, request: HttpRequest) -> ExportJobQuerySet:
        return cast(ExportJobQuerySet, super().get_queryset(request)).visible_to(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: ExportJob | None = None) -> bool:
        # Every staff member follows their own exports; get_queryset scopes the rows.
        return request.user.is_active and request.user.is_staff

    @display(description=_("Progress"))
    def progress(self, obj: ExportJob) -> str:
        total = "?" if obj.rows_total is None else f"{obj.rows_total:,}"
        return format_html(
            '<div class="export-progress" style="min-width:8rem">'
            '<div style="background:#e5e7eb;border-radius:4px;height:6px">'
            '<div style="background:#16a34a;border-radius:4px;height:6px;width:{}%"></div></div>'
            "<small>{}% · {} / {}</small></div>",
            obj.percent,
            obj.percent,
            f"{obj.rows_done:,}",
            total,
        )

    @display(description=_("File"))
    def download(self, obj: ExportJob) -> StrOrPromise:
        request = _current_request.get()
        if obj.status != ExportJob.Status.DONE or not obj.file or request is None:
            return "-"
        if request.user.pk != obj.owner_id:
            return _("ready")
        return format_html(
            '<a href="{}" class="text-primary-600">{}</a>', signed_file_url(obj.file, user=request.user), _("Download")
        )

    # The download link is signed for the viewer; the request reaches display methods through a context
    # variable rather than `self`, which every thread shares. The response is rendered inside the `with`.
    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        token = _current_request.set(request)
        try:
            response = super().changelist_view(request, extra_context)
            return response.render() if hasattr(response, "render") else response
        finally:
            _current_request.reset(token)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        token = _current_request.set(request)
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
            return response.render() if hasattr(response, "render") else response
        finally:
            _current_request.reset(token)


from crm.core import admin_periodic  # noqa: E402, F401  (registers the periodic tasks' admin)


def money_display(
    field_name: str, *, currency: str = "currency", description: StrOrPromise | None = None
) -> Callable[..., str]:
    """An admin column or read-only field showing a money field as `crm.core.money.format_money` does (`1,234.50
    USD`, never `100.00000000` or `1E-8`); `currency` names the attribute holding the currency row or code."""

    def shown(self: Any, obj: Any) -> str:
        value = getattr(obj, field_name)
        return "-" if value is None else format_money(value, getattr(obj, currency))

    label = description or capfirst(str(field_name).replace("_", " "))
    return display(description=label, ordering=field_name)(shown)
