"""Rebuild the rows a user saw, as that user, from an admin changelist or an API list endpoint.

Both sources return a `Rows`: column headers, the filtered row count and a lazy iterator of
value lists that reads the database in chunks, so memory stays flat whatever the row count.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, cast

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.sites import all_sites
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import PermissionDenied
from django.db import models
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils.encoding import force_str
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.request import Request, clone_request
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from crm.core.models import ExportJob

CHUNK_SIZE = 2000
# Parameters of a changelist or list page that do not change which rows are shown.
IGNORED_PARAMS = {"p", "limit", "offset", "page", "format", "_changelist_filters"}


class ExportRefused(Exception):
    """The user may no longer export this list (permission lost, target gone, bad parameters)."""


@dataclass
class Rows:
    headers: list[str]
    total: int
    rows: Iterator[list[Any]]
    title: str


def clean_params(params: dict[str, Any]) -> dict[str, list[str]]:
    """Query parameters as {name: [values]}, without paging ones."""
    cleaned = {}
    for name, values in params.items():
        if name in IGNORED_PARAMS:
            continue
        cleaned[name] = [str(v) for v in (values if isinstance(values, list | tuple) else [values])]
    return cleaned


def rows_for(job: ExportJob) -> Rows:
    if job.source == ExportJob.Source.ADMIN:
        return admin_rows(job)
    return api_rows(job)


# Admin changelists ---------------------------------------------------------------------


def model_admin_for(target: str) -> admin.ModelAdmin[Any]:
    """The ModelAdmin a target names: "app_label.model_name" on the main site, "<site name>:app_label.model_name"."""
    site_name, _sep, target = target.rpartition(":")
    site = next((s for s in all_sites if s.name == site_name), None) if site_name else admin.site
    if site is None:
        raise ExportRefused(_("Unknown admin site %(site_name)s.") % {"site_name": repr(site_name)})
    try:
        model = apps.get_model(target)
    except (LookupError, ValueError) as exc:
        raise ExportRefused(_("Unknown model %(target)s.") % {"target": repr(target)}) from exc
    if model not in site._registry:
        raise ExportRefused(_("%(target)s has no admin page.") % {"target": target})
    return site._registry[model]


@dataclass
class AdminSelection:
    model_admin: admin.ModelAdmin[Any]
    queryset: models.QuerySet[Any]
    fields: list[Any]  # names and callables, as in list_display
    headers: list[str]
    total: int
    title: str


def admin_rows(job: ExportJob) -> Rows:
    """The changelist's filtered, searched and ordered rows, in the columns of its `export_fields`."""
    selection = admin_selection(job)
    return Rows(
        headers=selection.headers,
        total=selection.total,
        rows=_admin_values(selection.queryset, selection.fields, selection.model_admin),
        title=selection.title,
    )


def admin_selection(job: ExportJob) -> AdminSelection:
    """The changelist as the job's owner sees it with the job's parameters: queryset, columns and row count."""
    registered = model_admin_for(job.target)
    # A copy: some admins keep the request on self, and the registered instance is shared.
    model_admin = copy.copy(registered)
    opts = model_admin.model._meta
    request = RequestFactory().get(
        reverse(f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"),
        data=job.params or {},
    )
    request.user = job.owner
    model_admin.request = request  # type: ignore[attr-defined]  # admins that read self.request outside a view
    if not model_admin.has_view_or_change_permission(request):
        raise ExportRefused(_("You may no longer view this list."))
    export_permission = getattr(model_admin, "export_permission", None)
    if export_permission and not job.owner.has_perm(export_permission):
        raise ExportRefused(_("You may not export this list."))
    try:
        changelist = model_admin.get_changelist_instance(request)
    except admin.options.IncorrectLookupParameters as exc:
        raise ExportRefused(_("The list filters are not valid.")) from exc
    queryset = changelist.queryset
    total = changelist.result_count
    if job.selected_ids:
        queryset = queryset.filter(pk__in=job.selected_ids)
        total = queryset.count()
    if hasattr(model_admin, "get_export_fields"):
        fields = list(model_admin.get_export_fields(request))
    else:
        fields = [name for name in changelist.list_display if name != "action_checkbox"]
    headers = [capfirst(force_str(label_for_field(name, model_admin.model, model_admin))) for name in fields]
    return AdminSelection(model_admin, queryset, fields, headers, total, force_str(opts.verbose_name_plural))


def _admin_values(
    queryset: models.QuerySet[Any], fields: list[Any], model_admin: admin.ModelAdmin[Any]
) -> Iterator[list[Any]]:
    for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield [admin_value(name, obj, model_admin) for name in fields]


def admin_value(name: str, obj: models.Model, model_admin: admin.ModelAdmin[Any]) -> Any:
    try:
        field, _attr, value = lookup_field(name, obj, model_admin)
    except (AttributeError, models.ObjectDoesNotExist):
        return None
    if field is not None and getattr(field, "flatchoices", None) and not field.is_relation:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, models.Model):
        return str(value)
    if field is not None and field.many_to_many:
        return ", ".join(str(item) for item in value.all())
    return value


# API list endpoints --------------------------------------------------------------------


def api_view_for(job: ExportJob) -> GenericViewSet[Any]:
    """A viewset instance for the list endpoint, with a GET request of the owner carrying the job's params."""
    try:
        path = reverse(job.target)
    except Exception as exc:  # NoReverseMatch for a renamed route
        raise ExportRefused(_("Unknown list endpoint %(target)s.") % {"target": repr(job.target)}) from exc
    match = resolve(path)
    view_class = getattr(match.func, "cls", None)
    actions = getattr(match.func, "actions", None) or {"get": "list"}
    if view_class is None:
        raise ExportRefused(_("%(target)s is not an API view.") % {"target": job.target})
    view = view_class(**getattr(match.func, "initkwargs", {}))
    view.action_map = actions
    view.args, view.kwargs = (), match.kwargs
    view.format_kwarg = None
    view.headers = {}
    django_request = RequestFactory().get(path, data=job.params or {})
    request = view.initialize_request(django_request)
    request.user = job.owner
    view.request = request
    view.action = actions.get("get", "list")
    return cast("GenericViewSet[Any]", view)


def check_api_permissions(view: APIView, request: Request, *, export_permission: str | None) -> None:
    """The list's own permissions as for a GET, plus the export permission when the view names one."""
    get_request = clone_request(request, "GET")
    for permission in view.get_permissions():
        if not permission.has_permission(get_request, view):
            raise ExportRefused(_("You may no longer view this list."))
    if export_permission and not request.user.has_perm(export_permission):
        raise ExportRefused(_("You may not export this list."))


def api_rows(job: ExportJob) -> Rows:
    """The list endpoint's filtered rows through its own filter backends and list serializer, flattened."""
    view = api_view_for(job)
    check_api_permissions(view, view.request, export_permission=getattr(view, "export_permission", None))
    try:
        queryset = view.filter_queryset(view.get_queryset())
        total = queryset.count()
    except (PermissionDenied, serializers.ValidationError) as exc:
        raise ExportRefused(_("The list parameters are not valid: %(exc)s") % {"exc": exc}) from exc
    serializer = view.get_serializer()
    columns = list(_flat_columns(serializer))
    return Rows(
        headers=[".".join(column) for column in columns],
        total=total,
        rows=_api_values(view, queryset, columns),
        title=force_str(queryset.model._meta.verbose_name_plural),
    )


def _flat_columns(
    serializer: serializers.BaseSerializer[Any], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    if not isinstance(serializer, serializers.Serializer):  # a list serializer has no fields of its own
        return
    for name, field in serializer.fields.items():
        if getattr(field, "write_only", False):
            continue
        if isinstance(field, serializers.Serializer):
            yield from _flat_columns(field, (*prefix, name))
        else:
            yield (*prefix, name)


def _api_values(
    view: GenericViewSet[Any], queryset: models.QuerySet[Any], columns: list[tuple[str, ...]]
) -> Iterator[list[Any]]:
    iterator = queryset.iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(iterator, CHUNK_SIZE)):
        for data in view.get_serializer(chunk, many=True).data:
            yield [_dig(data, column) for column in columns]


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
