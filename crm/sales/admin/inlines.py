"""Inlines of the lead page: comments (added through the service), communications and history."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import TabularInline

from crm.customers.admin.customers import HistoryInline
from crm.sales.models import LeadComment, LeadCommunication


class LeadCommentInline(TabularInline):
    """Notes, newest first; new notes go through `services.add_lead_comment`."""

    model = LeadComment
    tab = True
    extra = 1
    can_delete = False
    fields = ("body", "author", "created_at")
    readonly_fields = ("author", "created_at")
    ordering = ("-created_at",)
    per_page = 20

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sales.add_leadcomment")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sales.view_leadcomment")


class LeadCommunicationInline(TabularInline):
    model = LeadCommunication
    tab = True
    extra = 0
    can_delete = False
    fields = ("created_at", "channel", "status", "staff", "recipient", "subject")
    readonly_fields = fields
    ordering = ("-created_at",)
    per_page = 20

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("staff")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sales.view_leadcommunication")


class LeadHistoryInline(HistoryInline):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sales.view_lead")
