"""The periodic tasks in the admin: django-celery-beat's editor for the Admin role, and for the staff who depend
on a job (affiliate managers on the commission run, Finance on the payout sweep ...) its rows with "Run now"."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask
from unfold.admin import ModelAdmin
from unfold.decorators import action
from unfold.forms import BaseDialogForm

from crm.core import periodic
from crm.core.admin import run_service
from crm.core.exceptions import DomainError

admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BeatPeriodicTaskAdmin, ModelAdmin[PeriodicTask]):  # type: ignore[misc]  # beat: no types
    """Admins edit the schedule; staff see the tasks they may run and run them now (recorded)."""

    list_display = ("name", "task", "enabled", "scheduler", "last_run_at", "total_run_count")
    list_filter = ("enabled",)
    actions = ("run_now_selected", "enable_tasks", "disable_tasks", "toggle_tasks")
    actions_detail = ("run_now",)
    date_hierarchy = None

    def _runnable(self, request: HttpRequest) -> set[str] | None:
        return periodic.runnable_task_names(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or bool(self._runnable(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if super().has_view_permission(request, obj):
            return True
        runnable = self._runnable(request)
        return runnable is not None and bool(runnable) and (obj is None or obj.task in runnable)

    def has_run_now_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        if object_id is None:
            return self._runnable(request) != set()
        task = PeriodicTask.objects.filter(pk=object_id).values_list("task", flat=True).first()
        return bool(task) and periodic.may_run(request.user, task)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PeriodicTask]:
        tasks = super().get_queryset(request)
        runnable = self._runnable(request)
        if runnable is None or request.user.has_perm("django_celery_beat.view_periodictask"):
            return tasks
        return tasks.filter(task__in=runnable)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        if not self.has_change_permission(request):
            for name in ("enable_tasks", "disable_tasks", "toggle_tasks"):
                found.pop(name, None)
        return found

    def _run(self, request: HttpRequest, task: PeriodicTask) -> bool:
        return periodic.run_task_now(
            task.task, actor=request.user, args=json.loads(task.args or "[]"),
            kwargs=json.loads(task.kwargs or "{}"), label=task.name,
        )  # fmt: skip

    @staticmethod
    def _done(task: PeriodicTask, ran: bool) -> str:
        if ran:
            return _("%(name)s ran now.") % {"name": task.name}
        return _("%(name)s queued; a worker runs it in a moment.") % {"name": task.name}

    @admin.action(description=_("Run now"), permissions=["run_now"])
    def run_now_selected(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        for task in queryset.order_by("pk"):
            try:
                ran = self._run(request, task)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, self._done(task, ran), messages.SUCCESS)

    @action(
        description=_("Run now"),
        url_path="run-now",
        icon="play_arrow",
        permissions=["run_now"],
        dialog={"title": _("Run this task now"), "form_class": BaseDialogForm, "form_submit_text": _("Run now")},
    )
    def run_now(self, request: HttpRequest, form: BaseDialogForm, object_id: str) -> HttpResponse:
        task = PeriodicTask.objects.get(pk=object_id)
        url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
        return run_service(self, request, lambda: self._run(request, task), lambda ran: self._done(task, ran), url)
