"""Shared pieces of the affiliate admin pages."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

STATUS_LABELS = {
    "PENDING": "warning",
    "APPROVED": "info",
    "PAIDOUT": "success",
    "REJECTED": "danger",
    "pending": "warning",
    "active": "success",
    "suspended": "danger",
    "open": "warning",
    "cleared": "success",
    "confirmed": "danger",
}


class ServiceFormMixin:
    """Model forms that save through a service while validating (see `ServiceSavedForm`)."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The form saved through the service while validating.
        return

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        form.instance = form.saved
        for formset in formsets:
            formset.instance = form.saved
            self.save_formset(request, form, formset, change=change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic():
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.method == "POST" and getattr(response, "status_code", 302) == 200:
                transaction.set_rollback(True)
        return response
