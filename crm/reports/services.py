"""Report runs and templates: ask for a report, build its file once, tell the people to notify, run schedules.

A run is a stored unit of work (crm.core.work, kind `reports.run`): `status` (pending, running, done, failed),
`attempts` and `next_attempt_at`. The task claims it under a row lock and holds it for the lease; a run whose
message was lost, or whose worker died, is sent again by the sweep, until `MAX_ATTEMPTS`, then failed. Running a
run twice builds one file.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
from typing import IO, Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core import work
from crm.core.events import emit
from crm.core.exceptions import Conflict, DomainError, PermissionDenied
from crm.core.exports.cells import SafeCsvWriter
from crm.core.exports.writer import cell_value, write_xlsx
from crm.core.services import record_activity
from crm.reports.history import jobs as history_jobs
from crm.reports.models import ReportFormat, ReportRun, ReportTemplate
from crm.reports.periods import MAX_DAYS, Period, PeriodError
from crm.reports.scope import scope_for
from crm.reports.sources import SOURCES
from crm.reports.work import MAX_ATTEMPTS, RUNS
from crm.users.models import User

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1000
DOWNLOAD_SALT = "crm.reports.download"
MAX_NOTIFY = 20


def report_retention() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "REPORT_RETENTION_HOURS", 72))


# Parameters ----------------------------------------------------------------------------


def clean_params(kind: str, params: Any) -> dict[str, Any]:
    """The report's parameters checked: a period (`start`..`end`, dates, end included), `sortBy`, its filters.

    A history server kind (`h.`) takes its read model's `filters` and `sort` instead (crm.reports.history.jobs).
    Raises DomainError with field errors; nothing is recorded for a refused request.
    """
    if not isinstance(params, dict):
        raise DomainError(
            _("The report's parameters are not valid."),
            code="invalid",
            fields={"params": [_("An object of parameters is required.")]},
        )
    if kind in history_jobs.REPORTS:
        return history_jobs.clean_params(kind, params)
    return _clean_period_params(kind, params)


def report_permissions(kind: str) -> tuple[str, ...]:
    """What a staff member needs besides the reports' own permissions to ask for a report of `kind`: the 000
    report's data permission, or a history kind's 001 operation (as for its read model's path)."""
    if kind in history_jobs.REPORTS:
        return history_jobs.REPORTS[kind].permissions
    source = SOURCES.get(kind)
    return (source.permission,) if source else ()


def may_report(user: User, kind: str) -> bool:
    """Whether `user` may ask for a report of `kind` (the choices the admin offers)."""
    return user.has_perms(report_permissions(kind))


def check_may_report(user: User, kind: str) -> None:
    """PermissionDenied (403) naming the permissions `user` lacks for a report of `kind`."""
    missing = [perm for perm in report_permissions(kind) if not user.has_perm(perm)]
    if missing:
        raise PermissionDenied(
            _("This report needs %(permissions)s.") % {"permissions": ", ".join(missing)},
            fields={"kind": [_("You may not ask for this report.")]},
        )


def _clean_period_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    if kind not in SOURCES:
        raise DomainError(
            _("Unknown report."),
            code="invalid",
            fields={"kind": [_("Choose one of %(kinds)s.") % {"kinds": sorted(SOURCES)}]},
        )
    source = SOURCES[kind]
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name in ("start", "end"):
        try:
            cleaned[name] = dt.date.fromisoformat(str(params.get(name, ""))).isoformat()
        except ValueError:
            errors[name] = [_("A date is required (YYYY-MM-DD).")]
    if not errors:
        try:
            Period(first=dt.date.fromisoformat(cleaned["start"]), last=dt.date.fromisoformat(cleaned["end"]))
        except PeriodError as exc:
            errors["end"] = [str(exc)]
    sort = params.get("sortBy") or source.default_sort
    if str(sort).lstrip("-") not in source.sort_keys:
        errors["sortBy"] = [
            _("Sort by one of %(keys)s (prefix `-` for descending).") % {"keys": sorted(source.sort_keys)}
        ]
    cleaned["sortBy"] = str(sort)
    for name, allowed in source.filters.items():
        values = params.get(name) or []
        values = [values] if isinstance(values, str) else list(values)
        unknown = sorted({str(value) for value in values} - set(allowed))
        if unknown:
            errors[name] = [_("Unknown values: %(values)s.") % {"values": ", ".join(unknown)}]
        elif values:
            cleaned[name] = [str(value) for value in values]
    unknown_params = sorted(set(params) - {"start", "end", "sortBy", *source.filters})
    if unknown_params:
        errors.update({name: [_("Not a parameter of this report.")] for name in unknown_params})
    if errors:
        raise DomainError(_("The report's parameters are not valid."), code="invalid", fields=errors)
    return cleaned


def period_of(params: dict[str, Any]) -> Period:
    return Period(first=dt.date.fromisoformat(params["start"]), last=dt.date.fromisoformat(params["end"]))


# Runs ----------------------------------------------------------------------------------


@transaction.atomic
def create_report_run(
    *,
    owner: User,
    kind: str,
    params: dict[str, Any],
    file_format: str = ReportFormat.XLSX,
    notify_emails: list[str] | None = None,
    template: ReportTemplate | None = None,
    name: str = "",
    scheduled: bool = False,
) -> ReportRun:
    """Record a report as `owner` may see it and queue its task once the transaction commits.

    A requested run's owner must hold the kind's permissions (403). A scheduled run is not refused here (the beat
    has nobody to answer): its build checks the owner again and fails, saying why, if they lost them.
    """
    if not scheduled:
        check_may_report(owner, kind)
    if file_format not in ReportFormat.values:
        raise DomainError(_("Unknown format."), code="invalid", fields={"file_format": [_("Choose xlsx or csv.")]})
    emails = list(dict.fromkeys(notify_emails or []))
    if len(emails) > MAX_NOTIFY:
        raise DomainError(
            _("Too many people to notify."),
            code="invalid",
            fields={"notify_emails": [_("At most %(count)d.") % {"count": MAX_NOTIFY}]},
        )
    run = ReportRun.objects.create(
        owner=owner,
        template=template,
        kind=kind,
        name=name,
        params=clean_params(kind, params),
        file_format=file_format,
        notify_emails=emails,
        next_attempt_at=work.first_due(RUNS),
    )
    record_activity(actor=owner, action="report.requested", target=run, data={"kind": kind})
    work.enqueue(RUNS, run.pk)
    return run


def _claim(run_id: int) -> ReportRun | None:
    """Move a pending (or interrupted) run to running and count the attempt; None when there is nothing to do."""
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().select_related("owner").filter(pk=run_id).first()
        if run is None or run.status in (ReportRun.Status.DONE, ReportRun.Status.FAILED):
            return None
        if run.status == ReportRun.Status.RUNNING and work.lease_held(RUNS, run.started_at):
            return None  # another worker is building it (a redelivered message): that run makes the file
        if run.attempts >= MAX_ATTEMPTS:
            _fail(run, _("The report was interrupted %(count)d times.") % {"count": run.attempts})
            return None
        run.status = ReportRun.Status.RUNNING
        run.attempts += 1
        run.started_at = timezone.now()
        run.next_attempt_at = work.leased_until(RUNS, now=run.started_at)
        run.rows_done = 0
        run.error = ""
        run.save(
            update_fields=["status", "attempts", "started_at", "next_attempt_at", "rows_done", "error", "updated_at"]
        )
    return run


def run_report(run_id: int) -> ReportRun | None:
    """Build the run's file as its owner sees the data, then email the people to notify. Done or failed: no-op."""
    run = _claim(run_id)
    if run is None:
        return None
    # Deactivated, or a permission taken away since the run was asked for (a schedule's owner, typically).
    if not (run.owner.is_active and may_report(run.owner, run.kind)):
        return _fail(run, _("%(owner)s may no longer see this report.") % {"owner": run.owner.get_username()})
    try:
        headers, rows, title, total = _report_rows(run)
        ReportRun.objects.filter(pk=run.pk).update(rows_total=total)

        def progress(done: int) -> None:
            ReportRun.objects.filter(pk=run.pk).update(rows_done=done)

        with tempfile.TemporaryFile() as out:
            count = write_report(out, run.file_format, headers, rows, title, progress)
            out.seek(0)
            run.file.save(f"{file_stem(run)}.{run.file_format}", File(out), save=False)
    except Exception as exc:
        # Logged, not raised: a retry would repeat the same failure; an interrupted worker is retried by attempts.
        logger.exception("Report run %s failed", run.pk)
        return _fail(run, _("The report failed: %(error)s.") % {"error": exc.__class__.__name__})
    now = timezone.now()
    run.status = ReportRun.Status.DONE
    run.rows_done = run.rows_total = count
    run.finished_at = now
    run.expires_at = now + report_retention()
    with transaction.atomic():  # the readers' emails (events) are written with the run's completion
        run.save(
            update_fields=["status", "file", "rows_done", "rows_total", "finished_at", "expires_at", "updated_at"]
        )
        record_activity(actor=run.owner, action="report.completed", target=run, data={"rows": count})
        notify_report_ready(run)
    return run


def _report_rows(run: ReportRun) -> tuple[list[str], Any, str, int]:
    """The run's headers, rows (an iterator), title and row count, as its owner sees the data."""
    if run.kind in history_jobs.REPORTS:
        report = history_jobs.REPORTS[run.kind]
        queryset = report.queryset(run.owner, run.params)
        return report.headers, report.rows(queryset), report.title, queryset.count()
    source = SOURCES[run.kind]
    queryset = source.queryset(scope_for(run.owner), period_of(run.params), run.params)
    return source.headers, source.rows(queryset), source.title, queryset.count()


def report_title(run: ReportRun) -> str:
    history = history_jobs.REPORTS.get(run.kind)
    return _(history.title if history else SOURCES[run.kind].title)


def file_stem(run: ReportRun) -> str:
    """`<kind>-<start>-<end>-<stamp>`; a history report has no period: `<kind>-<stamp>` (`.` made `-`)."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if "start" in run.params:
        return f"{run.kind}-{run.params['start']}-{run.params['end']}-{stamp}"
    return f"{run.kind.replace('.', '-')}-{stamp}"


def write_report(out: IO[bytes], file_format: str, headers: list[str], rows: Any, title: str, progress: Any) -> int:
    """XLSX through the export writer, CSV through the safe CSV writer: one escaping rule for both."""
    if file_format == ReportFormat.XLSX:
        return write_xlsx(out, headers, rows, title=title, on_progress=progress, progress_every=PROGRESS_EVERY)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = SafeCsvWriter(text)
    writer.writerow(headers)
    count = 0
    for row in rows:
        writer.writerow([cell_value(value) for value in row])
        count += 1
        if count % PROGRESS_EVERY == 0:
            progress(count)
    text.flush()
    text.detach()
    return count


def give_up_runs(pks: list[int]) -> None:
    """Runs whose workers kept dying (the sweep's attempts are spent): failed, saying so, for their owner."""
    for run in ReportRun.objects.filter(pk__in=pks, status__in=(ReportRun.Status.PENDING, ReportRun.Status.RUNNING)):
        _fail(run, _("The report was interrupted %(count)d times.") % {"count": run.attempts})


def _fail(run: ReportRun, message: str) -> ReportRun:
    run.status = ReportRun.Status.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "updated_at"])
    return run


def download_token(run: ReportRun, *, recipient: str, browser: bool = False) -> str:
    """A token for this run's file only (its own salt: never an API token or JWT).

    An emailed link lives as long as the file; a browser link (admin page, API `download-link`) lives
    `PRIVATE_LINK_MAX_AGE` seconds. The kind is part of the salt, so one cannot pass for the other.
    """
    kind = "b" if browser else "e"
    signed = signing.TimestampSigner(salt=f"{DOWNLOAD_SALT}.{kind}").sign_object({"r": run.pk, "to": recipient})
    return f"{kind}.{signed}"


def download_path(run: ReportRun, *, recipient: str, browser: bool = False) -> str:
    return f"{reverse('reports:download')}?token={download_token(run, recipient=recipient, browser=browser)}"


def download_url(run: ReportRun, *, recipient: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{download_path(run, recipient=recipient)}"


def run_for_token(token: str) -> ReportRun:
    """The finished run a download token names; DomainError when it is forged, too old, or the file is gone."""
    kind, _dot, signed = token.partition(".")
    max_age = {"e": report_retention().total_seconds(), "b": settings.PRIVATE_LINK_MAX_AGE}.get(kind)
    try:
        if max_age is None:
            raise signing.BadSignature("Unknown kind of link.")
        data = signing.TimestampSigner(salt=f"{DOWNLOAD_SALT}.{kind}").unsign_object(signed, max_age=max_age)
    except signing.BadSignature as exc:
        raise DomainError(_("The link is not valid or has expired."), code="link_refused") from exc
    run = ReportRun.objects.filter(pk=data.get("r"), status=ReportRun.Status.DONE).first()
    if run is None or not run.file:
        raise DomainError(_("The report is no longer available."), code="link_refused")
    return run


def notify_report_ready(run: ReportRun) -> None:
    """Email each person to notify (and the owner) a link to the file, signed for them: an event per person,
    sent through its email template (communications handles `report.ready`)."""
    recipients = list(dict.fromkeys([*run.notify_emails, *([run.owner.email] if run.template_id else [])]))
    title = run.name or report_title(run)
    for recipient in recipients:
        emit(
            "report.ready",
            report_run_id=run.pk,
            title=str(title),
            start=str(run.params.get("start", "")),  # a history report has no period
            end=str(run.params.get("end", "")),
            rows=run.rows_total,
            until=f"{timezone.localtime(run.expires_at):%Y-%m-%d %H:%M %Z}",
            url=download_url(run, recipient=recipient),
            to_email=recipient,
        )


def delete_expired_reports(*, now: dt.datetime | None = None) -> int:
    """Delete the files of runs past their expiry and the runs themselves; returns how many."""
    count = 0
    for run in ReportRun.objects.expired(now).iterator(chunk_size=500):
        delete_report_run(run)
        count += 1
    return count


def delete_report_run(run: ReportRun) -> None:
    """Delete a run with its file (a run's file is never kept without it)."""
    if run.file:
        run.file.delete(save=False)
    run.delete()


# Templates -----------------------------------------------------------------------------


def _name_taken(template: ReportTemplate) -> bool:
    live = ReportTemplate.objects.filter(owner_id=template.owner_id, name=template.name, deleted_at__isnull=True)
    return live.exclude(pk=template.pk).exists() if template.pk else live.exists()


def next_run_after(template: ReportTemplate, moment: dt.datetime) -> dt.datetime:
    """The first scheduled time strictly after `moment`, at the base date's time of day in the broker's zone."""
    zone = timezone.get_default_timezone()
    base = timezone.localtime(template.base_date, zone)
    if base > moment:
        return base
    day = timezone.localtime(moment, zone).date()
    for _offset in range(32):  # a monthly or weekly time comes within 31 days
        candidate = timezone.make_aware(dt.datetime.combine(day, base.time()), zone)
        if candidate > moment and _scheduled_on(template, base.date(), day):
            return candidate
        day += dt.timedelta(days=1)
    raise DomainError(_("No day to run on."), code="invalid", fields={"days_of_week": [_("Choose 1 (Monday) to 7.")]})


def _scheduled_on(template: ReportTemplate, base_day: dt.date, day: dt.date) -> bool:
    if template.frequency == ReportTemplate.Frequency.WEEKLY:
        return day.isoweekday() in (template.days_of_week or [base_day.isoweekday()])
    if template.frequency == ReportTemplate.Frequency.MONTHLY:
        following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return day.day == min(base_day.day, (following - dt.timedelta(days=1)).day)
    return True


def check_template(template: ReportTemplate) -> None:
    """The template's report parameters and schedule are usable (DomainError with field errors otherwise)."""
    params = template.params if template.params is not None else {}
    if template.kind not in history_jobs.REPORTS and isinstance(params, dict):
        params = {**params, "start": "2000-01-01", "end": "2000-01-01"}  # each run brings its own period
    try:
        clean_params(template.kind, params)
    except DomainError as exc:
        if template.kind not in history_jobs.REPORTS:  # a history template keeps the query language's names
            exc.fields = {name if name in ("kind",) else "params": errors for name, errors in exc.fields.items()}
        raise
    if not 1 <= (template.period_days or 0) <= MAX_DAYS:
        raise DomainError(
            _("Too long."),
            code="invalid",
            fields={"period_days": [_("1 to %(count)d days.") % {"count": MAX_DAYS}]},
        )
    days = template.days_of_week or []
    if not isinstance(days, list) or any(day not in range(1, 8) for day in days):
        raise DomainError(
            _("Bad weekday."), code="invalid", fields={"days_of_week": [_("A list of 1 (Monday) to 7.")]}
        )
    if len(template.notify_emails or []) > MAX_NOTIFY:
        raise DomainError(
            _("Too many."),
            code="invalid",
            fields={"notify_emails": [_("At most %(count)d.") % {"count": MAX_NOTIFY}]},
        )


@transaction.atomic
def save_template(template: ReportTemplate, *, actor: User) -> ReportTemplate:
    """Check a new or changed template and set its next run from its schedule.

    The actor must be allowed the report's data (PermissionDenied). A history server template's name is unique
    among its owner's live templates (001: Conflict).
    """
    check_may_report(actor, template.kind)
    check_template(template)
    if template.kind in history_jobs.REPORTS and _name_taken(template):
        raise Conflict(_("You already have a template with this name."), fields={"templateName": [_("Taken.")]})
    template.updated_by = actor
    template.next_run_at = next_run_after(template, timezone.now())
    template.save()
    record_activity(actor=actor, action="report_template.saved", target=template, data={"kind": template.kind})
    return template


@transaction.atomic
def run_template(template: ReportTemplate, *, actor: User | None = None, now: dt.datetime | None = None) -> ReportRun:
    """Start a run of the template now for the `period_days` days up to yesterday (the schedule is unchanged).

    With an `actor` (run now) the run is theirs and they must hold the kind's permissions; without one (the
    schedule) it is the owner's, checked when the file is built.

    A history server template has no period: its `filters[]` say which rows (e.g. `createdAt`).
    """
    params = dict(template.params)
    if template.kind not in history_jobs.REPORTS:
        today = timezone.localdate(now or timezone.now())
        period = Period.last_days(template.period_days, today=today - dt.timedelta(days=1))
        params = {**params, "start": period.first.isoformat(), "end": period.last.isoformat()}
    return create_report_run(
        name=template.name if template.kind in history_jobs.REPORTS else "",
        owner=actor or template.owner,
        kind=template.kind,
        params=params,
        file_format=template.file_format,
        notify_emails=template.notify_emails,
        template=template,
        scheduled=actor is None,
    )


def run_due_templates(*, now: dt.datetime | None = None) -> int:
    """Start one run of each template whose time has come and move it to its next time; returns how many.

    Each template is claimed under a row lock (`skip_locked`), so two beats never start the same run twice.
    """
    now = now or timezone.now()
    started = 0
    while True:
        with transaction.atomic():
            template = (
                ReportTemplate.objects.due(now)
                .select_for_update(skip_locked=True)
                .order_by("next_run_at", "pk")
                .first()
            )
            if template is None:
                return started
            run_template(template, now=now)
            template.last_run_at = now
            template.next_run_at = next_run_after(template, now)
            template.save(update_fields=["last_run_at", "next_run_at", "updated_at"])
            started += 1


@transaction.atomic
def delete_template(template: ReportTemplate, *, actor: User) -> ReportTemplate:
    """Soft delete: the template stops running and disappears from lists; who and when are kept."""
    template = ReportTemplate.objects.select_for_update().get(pk=template.pk)
    if template.deleted_at is None:
        template.deleted_at = timezone.now()
        template.deleted_by = actor
        template.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        record_activity(actor=actor, action="report_template.deleted", target=template)
    return template
