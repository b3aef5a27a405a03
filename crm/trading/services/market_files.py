"""Markets files (001 `POST markets/file`, `GET markets/file/{id}`, `GET markets/download`): XLSX or CSV in,
XLSX out, as jobs.

The file's columns are the back-office API's instrument fields (`symbol`, `description`, `category`, `min_lot`,
...), so the export of the instruments list (`GET markets/download`, the admin's "Export markets file") is a
file the import takes back. A row is matched to an instrument by `symbol`: a known one is changed in the
columns the file has, an unknown one is created. Unknown columns (`id`, `bid`, `ask`, ... of the export) are
ignored; the `price_scale` column of older files is read as `digits` (the price decimals) when the file has no
`digits` column. An empty cell clears a field that may be empty and is refused for one that may not.

All or nothing **per row**: each row is validated by the instrument form and saved through `save_instrument`
(the admin's and the API's rules) in its own savepoint; a refused row changes nothing and is listed in
`incorrect_rows` with its reasons, the other rows are applied. The whole run is one transaction, so a run
that dies applies nothing and the next run starts the file again.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core import work
from crm.core.exceptions import DomainError
from crm.core.exports import create_export_job
from crm.core.imports.reader import UnreadableFile, open_table
from crm.core.models import ExportJob
from crm.core.services import record_activity
from crm.trading.models import Instrument, MarketImport
from crm.trading.services.config import save_instrument
from crm.trading.work import MARKET_IMPORTS

logger = logging.getLogger(__name__)

# The back-office API's instruments list: its XLSX export is the markets file.
EXPORT_TARGET = "backoffice:instrument-list"
MAX_FILE_BYTES = 10 * 1024 * 1024
# The instrument fields a markets file may set (the API serializer's writable fields).
FIELDS = [
    "symbol", "description", "category", "market_type", "margin_currency", "profit_currency", "digits",
    "contract_size", "profit_calc_mode", "margin_calc_mode", "tick_size", "tick_value", "initial_margin",
    "maintenance_margin", "hedged_margin", "margin_rate_long", "margin_rate_short", "max_leverage", "min_lot",
    "max_lot", "lot_step", "price_deviation", "swap_mode", "swap_long", "swap_short", "swap_triple_day",
    "funding_interval_hours", "sessions", "base_asset", "quote_asset", "market_group", "amount_scale",
    "slippage_rate", "is_const_leverage", "min_quote_amount", "is_synchronized", "external_ttl", "internal_ttl",
    "sort_order", "is_enabled",
]  # fmt: skip
# Former column names still read: `price_scale` (the price decimals, now `digits` alone) in older exports.
ALIASES = {"price_scale": "digits"}


@transaction.atomic
def export_markets(*, owner: Any) -> ExportJob:
    """Queue the markets file: every instrument, in the import's columns (the instruments list's export)."""
    return create_export_job(
        owner=owner, source=ExportJob.Source.API, target=EXPORT_TARGET, description=_("Markets file")
    )


def check_market_file(file: File[Any], *, name: str) -> None:
    """Refuse (`DomainError` on `file`) a file too large, unreadable, or without a symbol column."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        message = _("The file is larger than %(size)d MB.") % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        raise DomainError(message, code="file_too_large", fields={"file": [message]})
    try:
        with open_table(file, name=name) as table:
            headers = table.headers
    except UnreadableFile as exc:
        raise DomainError(str(exc), code="unreadable_file", fields={"file": [str(exc)]}) from exc
    if "symbol" not in headers:
        message = _("The file has no symbol column.")
        raise DomainError(message, code="unreadable_file", fields={"file": [message]})
    file.seek(0)


@transaction.atomic
def create_market_import(*, owner: Any, file: File[Any], name: str = "") -> MarketImport:
    """Store an uploaded markets file and queue its import; a file that cannot be read is refused at once."""
    name = name or getattr(file, "name", "") or "markets.xlsx"
    check_market_file(file, name=name)
    job = MarketImport(owner=owner, original_name=str(name)[:255], next_attempt_at=work.first_due(MARKET_IMPORTS))
    job.file.save(name, file, save=False)
    job.save()
    record_activity(actor=owner, action="trading.market_import_created", target=job, data={"file": name})
    work.enqueue(MARKET_IMPORTS, job.pk)
    return job


def _columns(headers: list[str]) -> dict[str, int]:
    """The instrument field each known column sets -> its index; a former name (`ALIASES`) counts only when
    the file has no column of the field's own name."""
    where: dict[str, int] = {}
    for index, name in enumerate(headers):
        if name in FIELDS:
            where.setdefault(name, index)
    for index, name in enumerate(headers):
        if name in ALIASES:
            where.setdefault(ALIASES[name], index)
    return where


def _row_form(columns: list[str]) -> type[forms.ModelForm[Instrument]]:
    return forms.modelform_factory(Instrument, fields=columns)


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(message) for message in messages] for field, messages in exc.message_dict.items()}
    return {"__all__": [str(message) for message in exc.messages]}


def _import_row(values: dict[str, str], form_class: type[forms.ModelForm[Instrument]], actor: Any) -> str:
    """Create or change the row's instrument in a savepoint; returns "created" or "updated", or raises
    ValidationError with the row's reasons (and nothing of the row is kept)."""
    instrument = Instrument.objects.filter(symbol=values["symbol"]).first() if values["symbol"] else None
    form = form_class(data=values, instance=copy.copy(instrument) if instrument else None)
    if not form.is_valid():
        raise ValidationError({field: list(messages) for field, messages in form.errors.items()})
    changes = {name: form.cleaned_data[name] for name in form.changed_data} if instrument else form.cleaned_data
    with transaction.atomic():
        save_instrument(instrument, actor=actor, **changes)
    return "updated" if instrument else "created"


def run_market_import(job_id: Any) -> MarketImport | None:
    """Import every row of a pending markets file; a done or failed file is left alone (running twice is one
    import). Refused rows are counted and listed with their reasons; an unreadable file fails as a whole."""
    if not work.claim(MARKET_IMPORTS, job_id):  # committed: a run that dies still counts as an attempt
        return None
    with transaction.atomic():
        # Locked for the whole run: a second run waits here, then finds the file done.
        job = MarketImport.objects.select_for_update().select_related("owner").filter(pk=job_id).first()
        if job is None or job.status != MarketImport.Status.PENDING:
            return None
        return _import_rows(job)


def _import_rows(job: MarketImport) -> MarketImport:
    job.started_at = timezone.now()
    counts = {"created": 0, "updated": 0}
    errors: dict[str, dict[str, list[str]]] = {}
    try:
        job.file.open("rb")
        with job.file, open_table(job.file, name=job.original_name) as table:
            where = _columns(table.headers)
            form_class = _row_form(list(where))
            seen: set[str] = set()
            for number, cells in enumerate(table.rows, start=1):
                values = {name: cells[index] if index < len(cells) else "" for name, index in where.items()}
                if values["symbol"] in seen:
                    errors[str(number)] = {"symbol": [_("The file has this symbol on an earlier row.")]}
                    continue
                seen.add(values["symbol"])
                try:
                    counts[_import_row(values, form_class, job.owner)] += 1
                except ValidationError as exc:
                    errors[str(number)] = _errors(exc)
                except DomainError as exc:
                    errors[str(number)] = exc.fields or {"__all__": [exc.message]}
    except UnreadableFile as exc:
        return _finish(job, status=MarketImport.Status.FAILED, error=str(exc))
    job.rows_created, job.rows_updated = counts["created"], counts["updated"]
    job.rows_rejected, job.row_errors = len(errors), errors
    job.incorrect_rows = [int(number) for number in errors]
    return _finish(job, status=MarketImport.Status.DONE)


def _finish(job: MarketImport, *, status: str, error: str = "") -> MarketImport:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    job.save()
    record_activity(
        actor=job.owner,
        action=f"trading.market_import_{status}",
        target=job,
        data={"created": job.rows_created, "updated": job.rows_updated, "rejected": job.rows_rejected},
    )
    return job


def give_up_market_imports(pks: list[Any]) -> None:
    """Markets files whose runs died `max_attempts` times: failed, nothing of them applied."""
    MarketImport.objects.filter(pk__in=pks, status=MarketImport.Status.PENDING).update(
        status=MarketImport.Status.FAILED,
        error="The import's runs kept stopping (see the worker's log); upload the file again.",
        finished_at=timezone.now(),
    )
