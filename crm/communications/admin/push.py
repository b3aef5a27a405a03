"""Web push admin: notifications sent to clients (read-only, scoped to the clients the staff member sees)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from crm.communications.models import PushNotification
from crm.core.admin import ReadOnlyAdminMixin


@admin.register(PushNotification)
class PushNotificationAdmin(ReadOnlyAdminMixin, ModelAdmin[PushNotification]):
    list_display = ("__str__", "customer", "topic", "status", "delivered", "failed", "removed", "created_at")
    list_filter = ("status", "topic")
    list_select_related = ("customer",)
    search_fields = ("=customer__email",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[PushNotification]:
        return PushNotification.objects.visible_to(request.user).select_related("customer")
