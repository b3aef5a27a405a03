"""`manage.py import_leads FILE`: import a CSV or XLSX file of leads synchronously, with progress in the terminal."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.core.context import use_context
from crm.core.exceptions import DomainError
from crm.sales.models import LeadImport
from crm.sales.services import imports
from crm.users.models import User


def parse_mapping(values: list[str]) -> dict[str, str]:
    """`field=Header` pairs, or one JSON object."""
    mapping: dict[str, str] = {}
    for value in values:
        if value.strip().startswith("{"):
            try:
                mapping.update(json.loads(value))
            except json.JSONDecodeError as exc:
                raise CommandError(f"--mapping is not valid JSON: {exc}") from exc
            continue
        name, sep, header = value.partition("=")
        if not sep:
            raise CommandError(f"--mapping {value!r}: use field=Header (e.g. email='E-mail address').")
        mapping[name.strip()] = header.strip()
    return mapping


class Command(BaseCommand):
    help = "Import leads from a CSV or XLSX file, batch by batch (each all or nothing), with a rejected-rows report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path to a .csv or .xlsx file; the first row holds the column names.")
        parser.add_argument(
            "--mapping",
            action="append",
            default=[],
            help="field=Header (repeatable) or a JSON object; recognised headers are mapped without it.",
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--owner", help="Email of the staff member the import is recorded for (default: first superuser)."
        )
        parser.add_argument("--source", default="", help="Source for rows that have none.")
        parser.add_argument("--campaign", default="", help="Campaign for rows that have none.")
        parser.add_argument("--no-assign", action="store_true", help="Do not route the leads to desks and agents.")
        parser.add_argument("--preview", action="store_true", help="Show the mapping and first rows, import nothing.")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        owner = self._owner(options["owner"])
        defaults = {"source": options["source"], "campaign": options["campaign"], "assign": not options["no_assign"]}
        with use_context(channel="command:import_leads"), path.open("rb") as handle:
            try:
                job = imports.create_import(
                    owner=owner,
                    file=File(handle, name=path.name),
                    name=path.name,
                    mapping=parse_mapping(options["mapping"]),
                    defaults=defaults,
                    batch_size=options["batch_size"],
                )
            except DomainError as exc:
                raise CommandError(f"{exc.message} {exc.fields or ''}".strip()) from exc
        if options["preview"]:
            self._preview(job)
            job.file.delete(save=False)
            job.delete()
            return
        with use_context(channel="command:import_leads"):
            # Run here, not in a task: the command is the worker.
            imports.start_import(job, actor=owner, queue_task=False)
            done = imports.run_import(job.pk, on_progress=self._progress)
        done = done or LeadImport.objects.get(pk=job.pk)
        self.stdout.write("")
        if done.status == LeadImport.Status.FAILED:
            raise CommandError(f"Import #{done.pk} failed after {done.rows_done} rows: {done.error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Import #{done.pk}: {done.rows_imported} leads imported, {done.rows_rejected} rows rejected."
            )
        )
        if done.report:
            self.stdout.write(
                f"Rejected rows: {done.report.path if hasattr(done.report, 'path') else done.report.name}"
            )

    def _owner(self, email: str | None) -> User:
        users = User.objects.filter(is_active=True, is_staff=True)
        owner = users.filter(email=email.lower()).first() if email else users.filter(is_superuser=True).first()
        if owner is None:
            raise CommandError("Name the staff member the import is for with --owner EMAIL.")
        return owner

    def _progress(self, job: LeadImport) -> None:
        total = job.rows_total or 0
        self.stdout.write(
            f"\r{job.rows_done}/{total} rows ({job.percent}%): {job.rows_imported} imported, "
            f"{job.rows_rejected} rejected",
            ending="",
        )
        self.stdout.flush()

    def _preview(self, job: LeadImport) -> None:
        preview = imports.preview_import(job)
        self.stdout.write(f"Format: {preview['file_format']}, encoding: {preview['encoding']}")
        self.stdout.write("Mapping: " + ", ".join(f"{k} <- {v!r}" for k, v in preview["mapping"].items()))
        for row in preview["rows"]:
            status = "; ".join(row["errors"]) or "ok"
            self.stdout.write(f"  row {row['row']}: {status} {row['values']}")
