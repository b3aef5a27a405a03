"""Lead imports: upload and preview, then import batch by batch, each batch all or nothing, with a report."""

from __future__ import annotations

import copy
import datetime as dt
import io
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from itertools import islice
from operator import itemgetter
from typing import Any, NamedTuple

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core import work
from crm.core.events import emit
from crm.core.exceptions import DomainError
from crm.core.exports.cells import SafeCsvWriter
from crm.core.imports.insert import CopyText, PlannerStatistics, insert_rows, reserve_ids
from crm.core.imports.reader import Table, UnreadableFile, count_rows, open_table
from crm.core.memory import old_objects_left_alone
from crm.core.services import record_activity
from crm.core.threads import quick_handoffs
from crm.customers.models import SalesStatus
from crm.sales.imports.rows import FIELDS, Row, RowReader, auto_mapping, check_mapping
from crm.sales.models import AssignmentRule, Lead, LeadImport, LeadImportRejection
from crm.sales.models.leads import new_signup_codes
from crm.sales.services.duplicates import DuplicateIndex, Keys, Match
from crm.sales.services.routing import Wanted, active_rules, plan_routes
from crm.sales.work import IMPORTS
from crm.users.models import Desk, User

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20
MAX_BATCH_SIZE = 10000
DEFAULT_KEYS = {"source", "campaign", "sales_status", "desk", "sales_person", "assign"}
# The lead values a file may give, with the value of a column the file does not have.
LEAD_VALUES = [(name, True if name == "can_be_called" else "") for name in FIELDS if name != "name"]
LEAD_BLANKS = dict(LEAD_VALUES)
pick_lead_values = itemgetter(*LEAD_BLANKS)  # a row's values (over LEAD_BLANKS) in LEAD_VALUES order
# The columns an import writes: the file's values and what every row of the import gets (prepared with the
# row, in the read-ahead thread), then the route (desk and agent, chosen when the batch is written).
LEAD_FIELDS = [name for name, _blank in LEAD_VALUES] + [
    "sales_status_id",
    "lead_import_id",
    "signup_code",
    "desk_id",
    "sales_person_id",
]
REJECTION_FIELDS = ["lead_import_id", "row_number", "cells", "reasons"]


def _open(job: LeadImport):
    job.file.open("rb")
    return job.file


def _check_defaults(defaults: dict[str, Any]) -> dict[str, Any]:
    unknown = set(defaults) - DEFAULT_KEYS
    if unknown:
        raise DomainError(
            _("Unknown defaults: %(value)s") % {"value": ", ".join(sorted(unknown))}, code="unknown_fields"
        )
    checks = {
        "sales_status": SalesStatus.objects.all(),
        "desk": Desk.objects.all(),
        "sales_person": User.objects.active_staff(),
    }
    for name, queryset in checks.items():
        value = defaults.get(name)
        if value in (None, ""):
            defaults.pop(name, None)
        elif not queryset.filter(pk=value).exists():
            raise DomainError(
                _("The request has invalid fields."), code="validation_error", fields={name: [_("Not found.")]}
            )
    for name in ("source", "campaign"):
        defaults[name] = str(defaults.get(name) or "")[: 100 if name == "source" else 255]
    defaults["assign"] = bool(defaults.get("assign", True))
    return defaults


@transaction.atomic
def create_import(
    *,
    owner: User,
    file: File,
    name: str = "",
    mapping: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    batch_size: int = 1000,
) -> LeadImport:
    """Store an uploaded file and its mapping (recognised headers filled in); it waits for `start_import`."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise DomainError(
            _("The request has invalid fields."),
            code="validation_error",
            fields={"batch_size": [_("Between 1 and %(MAX_BATCH_SIZE)s.") % {"MAX_BATCH_SIZE": MAX_BATCH_SIZE}]},
        )
    name = name or getattr(file, "name", "") or "leads.csv"
    with _readable_table(file, name=name) as table:
        headers, encoding, file_format = table.headers, table.encoding, table.file_format
    full_mapping = {**auto_mapping(headers), **(mapping or {})}
    errors = check_mapping(full_mapping, headers)
    if errors:
        raise DomainError(_("The column mapping is not valid."), code="invalid_mapping", fields=errors)
    file.seek(0)
    job = LeadImport(
        owner=owner,
        original_name=str(name)[:255],
        encoding=encoding or file_format,
        mapping=full_mapping,
        defaults=_check_defaults(dict(defaults or {})),
        batch_size=batch_size,
    )
    job.file.save(name, file, save=False)
    job.save()
    record_activity(actor=owner, action="lead_import.created", target=job, data={"file": job.original_name})
    return job


@contextmanager
def _readable_table(stream, *, name: str) -> Iterator[Table]:
    """`open_table`, with a file that cannot be read (at its headers or any row read here) refused as the
    caller's mistake: a 400 on the file field, never a crash."""
    try:
        with open_table(stream, name=name) as table:
            yield table
    except UnreadableFile as exc:
        raise DomainError(str(exc), code="unreadable_file", fields={"file": [str(exc)]}) from exc


def preview_import(job: LeadImport, *, limit: int = PREVIEW_ROWS) -> dict[str, Any]:
    """The file's headers, the mapping and its first rows as leads, each with the reasons it would be refused."""
    with _readable_table(_open(job), name=job.original_name) as table:
        reader = RowReader(table.headers, job.mapping)
        rows = [reader.read(number, raw) for number, raw in enumerate(islice(table.rows, limit), start=1)]
        headers, file_format = table.headers, table.file_format
    job.file.close()
    _reject_duplicates(rows)
    return {
        "file_format": file_format,
        "encoding": job.encoding,
        "headers": headers,
        "mapping": job.mapping,
        "rows": [{"row": row.number, "values": row.values, "errors": row.errors} for row in rows],
    }


@transaction.atomic
def start_import(
    job: LeadImport, *, actor: User | None, mapping: dict[str, str] | None = None, queue_task: bool = True
) -> LeadImport:
    """Confirm a previewed import (optionally with a corrected mapping) and queue its task (unless the caller
    runs `run_import` itself, as the `import_leads` command does)."""
    job = LeadImport.objects.select_for_update().get(pk=job.pk)
    if job.status != LeadImport.Status.PREVIEW:
        raise DomainError(_("This import has already started."), code="import_started")
    if mapping is not None:
        with _readable_table(_open(job), name=job.original_name) as table:
            headers = table.headers
        job.file.close()
        errors = check_mapping(mapping, headers)
        if errors:
            raise DomainError(_("The column mapping is not valid."), code="invalid_mapping", fields=errors)
        job.mapping = mapping
    job.status = LeadImport.Status.QUEUED
    job.next_attempt_at = work.first_due(IMPORTS)
    job.save(update_fields=["mapping", "status", "next_attempt_at", "updated_at"])
    record_activity(actor=actor, action="lead_import.started", target=job, data={"mapping": job.mapping})
    if queue_task:
        work.enqueue(IMPORTS, job.pk)
    return job


def _claim(job_id: int) -> LeadImport | None:
    """Take a queued (or interrupted running) import for this run; None when it is done, failed, gone, or
    running in another run now (its lease has not ended)."""
    now = timezone.now()
    with transaction.atomic():
        # Its owner read with it: each batch's history row names them (and the batches' copies of the import
        # keep it), instead of a query per batch.
        job = LeadImport.objects.select_for_update(of=("self",)).select_related("owner").filter(pk=job_id).first()
        if job is None or job.status not in (LeadImport.Status.QUEUED, LeadImport.Status.RUNNING):
            return None
        if job.status == LeadImport.Status.RUNNING and work.lease_held(IMPORTS, job.claimed_at, now=now):
            return None
        job.status = LeadImport.Status.RUNNING
        job.started_at = job.started_at or now
        job.error = ""
        job.attempts += 1
        job.claimed_at = now
        job.next_attempt_at = work.leased_until(IMPORTS, now=now)
        job.save(
            update_fields=["status", "started_at", "error", "attempts", "claimed_at", "next_attempt_at", "updated_at"]
        )
        return job


class _Paused(Exception):
    """The run's time is up: the batches so far are committed, the next run goes on."""


def _pause(job: LeadImport) -> LeadImport:
    """Give the import back to the queue (batches so far committed) and send its next run at once."""
    LeadImport.objects.filter(pk=job.pk, status=LeadImport.Status.RUNNING).update(
        status=LeadImport.Status.QUEUED, next_attempt_at=work.first_due(IMPORTS), updated_at=timezone.now()
    )
    work.enqueue(IMPORTS, job.pk)
    job.refresh_from_db()
    return job


def run_import(
    job_id: int,
    *,
    on_progress: Callable[[LeadImport], None] | None = None,
    run_for: dt.timedelta | None = None,
) -> LeadImport | None:
    """Import a queued job's rows, resuming after its last committed batch. A done or failed job is left alone.

    Each batch (leads, rejected rows, routing, history and progress) commits as one transaction; if
    anything fails, the job is marked failed with its committed progress, and running it again resumes.
    With `run_for`, the run stops after the batch that passes it and queues the next run (a task's time limit
    stays short, so the broker's visibility timeout does too); a database or broker outage also queues it.
    """
    job = _claim(job_id)
    if job is None:
        return None
    stop_at = timezone.now() + run_for if run_for is not None else None
    try:
        if job.rows_total is None:
            job.rows_total = count_rows(_open(job), name=job.original_name)
            job.file.close()
            LeadImport.objects.filter(pk=job.pk).update(rows_total=job.rows_total)
        with old_objects_left_alone(), quick_handoffs(), open_table(_open(job), name=job.original_name) as table:
            rules = active_rules()
            # The duplicate lookup's columns (see duplicates._leads_matching).
            statistics = PlannerStatistics(Lead, columns=["email", "phone", "external_id", "merged_into"])
            # Another connection cannot see what a caller's transaction wrote (tests run inside one).
            look_up = connection.vendor == "postgresql" and not connection.in_atomic_block
            for batch in _read_ahead(_read_batches(table, job), look_up=look_up, statistics=statistics):
                job = _import_batch(job, batch, rules=rules)
                if not look_up:
                    statistics.grew(len(batch.rows))
                if on_progress:
                    on_progress(job)
                if stop_at is not None and timezone.now() >= stop_at and job.rows_done < (job.rows_total or 0):
                    raise _Paused
        job.file.close()
    except (_Paused, SoftTimeLimitExceeded):
        job.file.close()
        return _pause(job)
    except work.TRANSIENT_ERRORS:
        logger.warning("Lead import %s interrupted by an outage; it goes on in its next run.", job.pk, exc_info=True)
        with suppress(*work.TRANSIENT_ERRORS):  # still down: the lease ends and the sweep sends it again
            LeadImport.objects.filter(pk=job.pk, status=LeadImport.Status.RUNNING).update(
                status=LeadImport.Status.QUEUED, next_attempt_at=timezone.now()
            )
        raise
    except Exception as exc:
        logger.exception("Lead import %s failed", job.pk)
        LeadImport.objects.filter(pk=job.pk).update(
            status=LeadImport.Status.FAILED,
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    return _finish(job, headers=table.headers)


class _Ready(NamedTuple):
    """A valid row of a batch, made ready to be written but for its duplicate check and its route."""

    row: Row
    keys: Keys
    lead: tuple[Any, ...]  # its LEAD_FIELDS values but the route (the last two)
    wanted: Wanted  # what routing reads of it


class _Batch(NamedTuple):
    rows: list[Row]
    ready: list[_Ready]
    # When settled ahead (`_settle`): its duplicates rejected, `ready` the rows to write, their reserved ids
    # and their leads as COPY text (`lead`, formatted there: the writing thread only adds the route).
    ids: list[int] | None = None
    texts: list[str] | None = None


def _read_batches(table, job: LeadImport) -> Iterator[_Batch]:
    """The file's rows after those already done, a batch at a time: validated, and the valid ones turned
    into their lead's columns (the defaults for empty source and campaign, a sign-up code each)."""
    reader = RowReader(table.headers, job.mapping)
    defaults = job.defaults or {}
    source, campaign = defaults.get("source", ""), defaults.get("campaign", "")
    status_id, desk_id, person_id = defaults.get("sales_status"), defaults.get("desk"), defaults.get("sales_person")
    rest = islice(enumerate(table.rows, start=1), job.rows_done, None)
    while batch := list(islice(rest, job.batch_size)):
        rows = [reader.read(number, raw) for number, raw in batch]
        valid = [row for row in rows if not row.errors]
        ready = []
        for row, code in zip(valid, new_signup_codes(len(valid)), strict=True):
            values = row.values
            if source and not values.get("source"):
                values["source"] = source
            if campaign and not values.get("campaign"):
                values["campaign"] = campaign
            lead = (*pick_lead_values({**LEAD_BLANKS, **values}), status_id, job.pk, code)
            wanted = (values.get("country", ""), values.get("language", ""), values.get("source", ""))
            ready.append(_Ready(row, _keys(row), lead, (*wanted, desk_id, person_id)))
        yield _Batch(rows, ready)


def _read_ahead(batches: Iterator[_Batch], *, look_up: bool, statistics: PlannerStatistics) -> Iterator[_Batch]:
    """The batches, the next one read and validated in a thread while the caller writes the current one;
    with `look_up`, the thread also settles it (`_settle`) on its own connection, after telling `statistics`
    of the leads of the batch before (an ANALYZE, when one is due, runs there too, off the writes' path).

    Reading and validating is Python; writing is mostly waiting on PostgreSQL (the COPY into an indexed
    table, the commit's checks), during which psycopg releases the GIL: the two overlap instead of adding
    up. The lookup is the server's work that can run beside the writes: on a second connection it sees the
    batches committed before the one being written, whose leads the thread adds itself (it chose them and
    their ids). One batch at a time is ahead.
    """
    written: list[tuple[int, Keys]] = []  # the leads of the batch before, which the lookup may not see yet

    def read() -> _Batch | None:
        nonlocal written
        batch = next(batches, None)
        if batch is not None and look_up:
            statistics.grew(len(written))
            batch, written = _settle(batch, unseen=written)
        return batch

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lead-import-read") as reader:
        try:
            ahead = reader.submit(read)
            while (batch := ahead.result()) is not None:
                ahead = reader.submit(read)
                yield batch
        finally:
            reader.submit(lambda: connection.close())  # the thread's own connection, if it opened one


def _settle(batch: _Batch, *, unseen: list[tuple[int, Keys]]) -> tuple[_Batch, list[tuple[int, Keys]]]:
    """Reject a batch's duplicates and reserve the ids of the leads it will write, ahead of its transaction:
    the earlier leads and clients its keys match are read now (on the reader's connection: it sees the
    batches committed so far), `unseen` are the leads of the batch before, which may not be committed yet
    (a lookup that sees them finds the same leads twice: the same match). Returns the batch, settled, and
    its leads (ids and keys) for the next one.

    Ids come from the sequence, which never hands one out twice whether the batch commits or not: a batch
    that fails or is never written (a paused run) leaves a gap, as a failed insert does.
    """
    found = DuplicateIndex([ready.keys for ready in batch.ready])
    _reject_duplicates(batch.rows, keys=[(ready.row, ready.keys) for ready in batch.ready], found=found, unseen=unseen)
    accepted = [ready for ready in batch.ready if not ready.row.errors]
    ids = reserve_ids(Lead, len(accepted)) if accepted else []
    line = _COPY_TEXT.line
    texts = [line(ready.lead) for ready in accepted]
    settled = batch._replace(ready=accepted, ids=ids, texts=texts)
    return settled, list(zip(ids, (ready.keys for ready in accepted), strict=True))


_COPY_TEXT = CopyText()  # a lead's values are strings, booleans, numbers and None: no connection's dumpers needed


def _reject_duplicates(
    rows: list[Row],
    *,
    keys: list[tuple[Row, Keys]] | None = None,
    found: DuplicateIndex | None = None,
    unseen: list[tuple[int, Keys]] | None = None,
) -> list[Row]:
    """Add a reason to each valid row that matches an earlier lead, a client, or an earlier row of the file.

    `keys` are the valid rows with their keys, in file order, when the caller has them already; `found`, the
    earlier leads and clients they match when looked up already, and then `unseen`, the leads (ids and keys)
    written since, which that lookup may not have seen (one that did sees them twice: the same match)."""
    if keys is None:
        keys = [(row, _keys(row)) for row in rows if not row.errors]
    if found is None:
        index = DuplicateIndex([row_keys for _row, row_keys in keys])
    else:
        index = found
        for lead_id, lead_keys in unseen or ():
            index.add(lead_id, lead_keys)
    for row, row_keys in keys:
        match = index.add_if_new(-row.number, row_keys)  # negative ids: rows of this file
        if match is not None:
            row.errors.append(_duplicate_reason(match))
    return rows


def _keys(row: Row) -> Keys:
    return Keys(row.values.get("email", ""), row.values.get("phone", ""), row.values.get("external_id", ""), None)


def _duplicate_reason(match: Match) -> str:
    keys = ", ".join(match.keys)
    if match.lead_id is not None and match.lead_id < 0:
        return f"Duplicate of row {-match.lead_id} of this file ({keys})."
    if match.lead_id is not None:
        return f"Duplicate of lead #{match.lead_id} ({keys})."
    return f"Already a client: #{match.customer_id} ({keys})."


def _import_batch(job: LeadImport, batch: _Batch, *, rules: list[AssignmentRule]) -> LeadImport:
    """Write one batch: its leads (routed), its rejected rows, one history row, one event and the progress,
    all in one transaction. Leads go in as plain tuples (COPY on PostgreSQL), never as model objects, each
    built as the COPY takes it. A batch not settled ahead has its duplicates looked up here, on this
    connection (which sees the batches before, committed or in the caller's transaction)."""
    rows = batch.rows
    if batch.ids is None:
        _reject_duplicates(rows, keys=[(ready.row, ready.keys) for ready in batch.ready])
        accepted = [ready for ready in batch.ready if not ready.row.errors]
    else:
        accepted = batch.ready
    defaults = job.defaults or {}
    rejected = [(job.pk, row.number, row.raw, row.errors) for row in rows if row.errors]
    with transaction.atomic():
        locked = _advance(job, rows=len(rows), imported=len(accepted), rejected=len(rejected))
        if defaults.get("assign", True):
            routes = plan_routes([ready.wanted for ready in accepted], rules=rules)
        else:
            routes = [(defaults.get("desk"), defaults.get("sales_person"))] * len(accepted)
        if batch.texts is not None:
            cell = _COPY_TEXT.cell
            lines = (
                f"{text}\t{cell(desk)}\t{cell(person)}"
                for text, (desk, person) in zip(batch.texts, routes, strict=True)
            )
            lead_ids = insert_rows(Lead, LEAD_FIELDS, lines, count=len(accepted), ids=batch.ids, formatted=True)
        else:
            leads = (ready.lead + route for ready, route in zip(accepted, routes, strict=True))
            lead_ids = insert_rows(Lead, LEAD_FIELDS, leads, count=len(accepted), ids=batch.ids)
        insert_rows(LeadImportRejection, REJECTION_FIELDS, rejected)
        _log_imported(job, lead_ids)
    return locked


def _advance(job: LeadImport, *, rows: int, imported: int, rejected: int) -> LeadImport:
    """Move the import's progress on by one batch, in the batch's transaction, in one statement: it takes the
    import's row lock (a second run of the import waits here, then finds the progress moved on and stops).
    Returns the import as it now is."""
    now = timezone.now()
    moved = LeadImport.objects.filter(pk=job.pk, rows_done=job.rows_done, status=LeadImport.Status.RUNNING).update(
        rows_done=F("rows_done") + rows,
        rows_imported=F("rows_imported") + imported,
        rows_rejected=F("rows_rejected") + rejected,
        updated_at=now,
    )
    if not moved:
        raise DomainError(_("Another run of this import moved on."), code="import_moved_on")
    locked = copy.copy(job)  # the run's own: rows_done matched, and the counts move on with it
    locked.rows_done += rows
    locked.rows_imported += imported
    locked.rows_rejected += rejected
    locked.updated_at = now
    return locked


def _log_imported(job: LeadImport, lead_ids: list[int]) -> None:
    """One history row per batch on the import, naming the leads it created (each lead links to its import),
    and the batch's event."""
    if lead_ids:
        record_activity(
            actor=job.owner,
            action="lead_import.batch_imported",
            target=job,
            data={"lead_ids": [lead_ids[0], lead_ids[-1]], "count": len(lead_ids)},
        )
        emit("leads.imported", import_id=job.pk, lead_ids=lead_ids)


def _finish(job: LeadImport, *, headers: list[str]) -> LeadImport:
    if job.rows_rejected:
        out = io.StringIO()
        writer = SafeCsvWriter(out)
        writer.writerow(["row", "reasons", *headers])
        for rejection in job.rejections.order_by("row_number").iterator(chunk_size=2000):
            writer.writerow([rejection.row_number, " ".join(rejection.reasons), *rejection.cells])
        if job.report:
            job.report.delete(save=False)
        job.report.save(f"rejected-{job.pk}.csv", ContentFile(out.getvalue().encode("utf-8-sig")), save=False)
    job.status = LeadImport.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "status", "finished_at", "updated_at"])
    record_activity(
        actor=job.owner,
        action="lead_import.completed",
        target=job,
        data={"imported": job.rows_imported, "rejected": job.rows_rejected},
    )
    return job


@transaction.atomic
def resume_import(job: LeadImport, *, actor: User | None) -> LeadImport:
    """Queue a failed import again; it resumes after its last committed batch."""
    job = LeadImport.objects.select_for_update().get(pk=job.pk)
    if job.status != LeadImport.Status.FAILED:
        raise DomainError(_("Only a failed import can be resumed."), code="import_not_failed")
    job.status = LeadImport.Status.QUEUED
    job.attempts = 0
    job.next_attempt_at = work.first_due(IMPORTS)
    job.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    record_activity(actor=actor, action="lead_import.resumed", target=job, data={"rows_done": job.rows_done})
    work.enqueue(IMPORTS, job.pk)
    return job


def give_up_imports(pks: list[int]) -> None:
    """Imports whose runs died `max_attempts` times: failed with their committed progress, to be resumed."""
    LeadImport.objects.filter(pk__in=pks, status__in=(LeadImport.Status.QUEUED, LeadImport.Status.RUNNING)).update(
        status=LeadImport.Status.FAILED,
        error="The import's runs kept stopping (see the worker's log); resume it to go on.",
        finished_at=timezone.now(),
    )
