"""Lead imports: encodings, XLSX, mapping, validation, duplicates, report, batches, command, API and task."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from crm.core import work
from crm.core.exceptions import DomainError
from crm.core.files import unsign_file_token
from crm.sales.models import Lead, LeadImport
from crm.sales.services import imports
from crm.sales.tasks import run_import_task
from crm.sales.work import IMPORTS
from tests.customers.factories import CustomerFactory
from tests.sales.factories import DeskFactory, LeadFactory

pytestmark = pytest.mark.django_db

CSV = (
    "Full name,E-mail,Mobile,Country\n"
    "Ann Lee,ann@example.com,07911 123456,GB\n"
    "Bad Email,not-an-email,,GB\n"
    "Bad Phone,bp@example.com,123,GB\n"
    "Nowhere,nw@example.com,,XX\n"
    "Ann Again,ANN@example.com,,GB\n"
    "Known Lead,known@example.com,,DE\n"
    "Known Client,client@example.com,,DE\n"
    "José Núñez,jose@example.com,+34 612 345 678,ES\n"
)


def upload(owner, content: bytes, name: str = "leads.csv", **kwargs) -> LeadImport:
    return imports.create_import(owner=owner, file=ContentFile(content, name=name), name=name, **kwargs)


def run(job: LeadImport) -> LeadImport:
    imports.start_import(job, actor=job.owner, queue_task=False)
    return imports.run_import(job.pk)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
def test_csv_in_each_encoding_imports_the_valid_rows(sales_manager, encoding):
    LeadFactory(email="known@example.com")
    CustomerFactory(email="client@example.com")

    job = run(upload(sales_manager, CSV.encode(encoding)))

    assert job.status == LeadImport.Status.DONE
    assert (job.rows_total, job.rows_imported, job.rows_rejected) == (8, 2, 6)
    jose = Lead.objects.get(email="jose@example.com")
    assert (jose.first_name, jose.last_name, jose.phone) == ("José", "Núñez", "+34612345678")
    assert Lead.objects.get(email="ann@example.com").phone == "+447911123456"


def test_rejected_rows_report_gives_each_reason(sales_manager):
    LeadFactory(email="known@example.com")
    CustomerFactory(email="client@example.com")

    job = run(upload(sales_manager, CSV.encode()))

    report = job.report.open("rb").read().decode("utf-8-sig").splitlines()
    assert report[0] == "row,reasons,Full name,E-mail,Mobile,Country"
    reasons = {line.split(",")[0]: line for line in report[1:]}
    assert "Bad email" in reasons["2"]
    assert "Bad phone" in reasons["3"]
    assert "Unknown country" in reasons["4"]
    assert "Duplicate of row 1 of this file" in reasons["5"]
    assert "Duplicate of lead #" in reasons["6"]
    assert "Already a client" in reasons["7"]


def test_xlsx_with_numeric_phone_and_explicit_mapping(sales_manager):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Vorname", "Nachname", "Mail", "Telefon", "Land"])
    sheet.append(["Max", "Muster", "max@example.com", 4915112345678, "DE"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    mapping = {
        "first_name": "Vorname",
        "last_name": "Nachname",
        "email": "Mail",
        "phone": "Telefon",
        "country": "Land",
    }

    job = run(upload(sales_manager, buffer.getvalue(), name="leads.xlsx", mapping=mapping))

    lead = Lead.objects.get()
    assert (job.rows_imported, lead.first_name, lead.phone, lead.country.code) == (1, "Max", "+4915112345678", "DE")


def test_mapping_to_a_missing_column_is_refused(sales_manager):
    with pytest.raises(DomainError) as error:
        upload(sales_manager, CSV.encode(), mapping={"email": "Nope"})

    assert error.value.code == "invalid_mapping"
    assert not LeadImport.objects.exists()


def test_preview_shows_rows_and_reasons_without_importing(sales_manager):
    job = upload(sales_manager, CSV.encode())

    preview = imports.preview_import(job)

    assert preview["mapping"] == {"name": "Full name", "email": "E-mail", "phone": "Mobile", "country": "Country"}
    assert preview["rows"][0]["errors"] == []
    assert preview["rows"][1]["errors"] == ["Bad email 'not-an-email'."]
    assert not Lead.objects.exists()


def test_a_failing_batch_leaves_no_half_batch_and_resumes(
    sales_manager, monkeypatch, django_capture_on_commit_callbacks
):
    rows = "".join(f"L{i},l{i}@example.com\n" for i in range(10))
    job = upload(sales_manager, f"name,email\n{rows}".encode(), batch_size=4)
    original = imports._log_imported
    calls = {"n": 0}

    def crash_on_second_batch(job, leads):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        original(job, leads)

    monkeypatch.setattr(imports, "_log_imported", crash_on_second_batch)
    failed = run(job)

    assert (failed.status, failed.rows_done, Lead.objects.count()) == (LeadImport.Status.FAILED, 4, 4)
    monkeypatch.setattr(imports, "_log_imported", original)
    with django_capture_on_commit_callbacks(execute=True):
        imports.resume_import(failed, actor=sales_manager)
    done = LeadImport.objects.get(pk=job.pk)
    assert (done.status, done.rows_imported, Lead.objects.count()) == (LeadImport.Status.DONE, 10, 10)


def test_a_run_stops_without_writing_when_another_run_moved_the_import_on(sales_manager):
    rows = "".join(f"l{i}@example.com\n" for i in range(10))
    job = upload(sales_manager, f"email\n{rows}".encode(), batch_size=4)

    def another_run_moves_on(current: LeadImport) -> None:
        LeadImport.objects.filter(pk=current.pk).update(rows_done=current.rows_done + 4)

    imports.start_import(job, actor=sales_manager, queue_task=False)
    failed = imports.run_import(job.pk, on_progress=another_run_moves_on)

    assert (failed.status, Lead.objects.count()) == (LeadImport.Status.FAILED, 4)
    assert "moved on" in failed.error


def test_import_spreads_leads_over_the_desk(sales_manager):
    from tests.conftest import staff_with_role

    team = [staff_with_role("Sales Agent") for _ in range(2)]
    desk = DeskFactory(members=team)
    rows = "".join(f"l{i}@example.com\n" for i in range(6))

    run(upload(sales_manager, f"email\n{rows}".encode(), defaults={"desk": desk.pk}))

    counts = sorted(Lead.objects.filter(sales_person=agent).count() for agent in team)
    assert counts == [3, 3]


def test_running_the_task_twice_imports_once(sales_manager):
    job = upload(sales_manager, b"email\na@example.com\nb@example.com\n")
    imports.start_import(job, actor=sales_manager, queue_task=False)

    run_import_task(job.pk)
    run_import_task(job.pk)

    assert Lead.objects.count() == 2
    assert LeadImport.objects.get(pk=job.pk).rows_imported == 2


def test_command_imports_with_progress(sales_manager, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes("E-mail address;Mobile;Country\nc1@example.com;07911 123456;GB\nbad;;GB\n".encode("latin-1"))
    out = io.StringIO()

    call_command(
        "import_leads",
        str(path),
        "--owner",
        sales_manager.email,
        "--mapping",
        "email=E-mail address",
        "--batch-size",
        "1",
        "--source",
        "fair",
        stdout=out,
    )

    assert "1 leads imported, 1 rows rejected" in out.getvalue()
    assert "2/2 rows (100%)" in out.getvalue()
    assert Lead.objects.get().source == "fair"


def test_command_refuses_a_missing_file(sales_manager):
    with pytest.raises(CommandError):
        call_command("import_leads", "/nonexistent.csv", "--owner", sales_manager.email)


def test_api_upload_preview_start_and_report_link(api_client, sales_manager, django_capture_on_commit_callbacks):
    api_client.force_authenticate(sales_manager)
    csv_file = ContentFile(b"email,phone\nx@example.com,\nbad,\n", name="leads.csv")

    created = api_client.post(reverse("backoffice:lead-import-list"), {"file": csv_file}, format="multipart")
    job_id = created.json()["id"]
    preview = api_client.get(reverse("backoffice:lead-import-preview", args=[job_id]))
    with django_capture_on_commit_callbacks(execute=True):
        started = api_client.post(reverse("backoffice:lead-import-start", args=[job_id]), {}, format="json")
    job = api_client.get(reverse("backoffice:lead-import-detail", args=[job_id])).json()

    assert (created.status_code, preview.status_code, started.status_code) == (201, 200, 202)
    assert [row["errors"] != [] for row in preview.json()["rows"]] == [False, True]
    assert (job["status"], job["rows_imported"], job["rows_rejected"]) == ("done", 1, 1)
    token = job["report_url"].rstrip("/").rsplit("/", 1)[-1]
    assert unsign_file_token(token, user=sales_manager).name.endswith(".csv")


def test_api_one_shot_upload(api_client, sales_manager, django_capture_on_commit_callbacks):
    api_client.force_authenticate(sales_manager)
    csv_file = ContentFile(b"email\none@example.com\n", name="leads.csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(reverse("backoffice:lead-upload"), {"file": csv_file}, format="multipart")

    assert response.status_code == 202
    assert Lead.objects.filter(email="one@example.com").exists()


def test_agent_may_not_import(api_client, sales_agent):
    api_client.force_authenticate(sales_agent)
    csv_file = ContentFile(b"email\none@example.com\n", name="leads.csv")

    response = api_client.post(reverse("backoffice:lead-upload"), {"file": csv_file}, format="multipart")

    assert response.status_code == 403
    assert not LeadImport.objects.exists()


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00\x81\x8d\x8f\x90\x9d"


def test_api_upload_of_a_binary_file_is_a_400_on_the_file_field(api_client, sales_manager):
    api_client.force_authenticate(sales_manager)

    response = api_client.post(
        reverse("backoffice:lead-import-list"), {"file": ContentFile(JPEG, name="photo.jpg")}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unreadable_file"
    assert "file" in response.json()["error"]["fields"]
    assert not LeadImport.objects.exists()


def test_bytes_the_encoding_cannot_read_far_into_the_file_fail_the_run_with_their_line(sales_manager):
    rows = b"".join(b"user%d@example.com,Name %d\n" % (n, n) for n in range(2000))
    job = upload(sales_manager, b"email,name\n" + rows + b"bob@example.com,B\x81b\n", name="leads.csv")

    failed = run(job)

    assert failed.status == LeadImport.Status.FAILED
    assert "is not text in" in failed.error


def test_a_run_past_its_time_pauses_after_a_batch_and_the_next_run_goes_on(
    sales_manager, django_capture_on_commit_callbacks
):
    rows = "".join(f"l{i}@example.com\n" for i in range(10))
    job = upload(sales_manager, f"email\n{rows}".encode(), batch_size=4)
    imports.start_import(job, actor=sales_manager, queue_task=False)

    with django_capture_on_commit_callbacks(execute=True):
        paused = imports.run_import(job.pk, run_for=dt.timedelta(0))

    done = LeadImport.objects.get(pk=job.pk)
    assert (paused.status, paused.rows_done) == (LeadImport.Status.QUEUED, 4)
    assert (done.status, done.rows_imported, done.attempts) == (LeadImport.Status.DONE, 10, 2)


def test_an_import_whose_task_was_lost_is_run_by_the_sweep(sales_manager, django_capture_on_commit_callbacks):
    job = upload(sales_manager, b"email\na@example.com\nb@example.com\n")
    imports.start_import(job, actor=sales_manager)  # its task message is lost (no on-commit here)
    running = upload(sales_manager, b"email\nc@example.com\n")
    imports.start_import(running, actor=sales_manager, queue_task=False)
    imports._claim(running.pk)  # a run holds it: left alone until its lease ends
    due = timezone.now() + IMPORTS.first_wait + dt.timedelta(seconds=1)

    with django_capture_on_commit_callbacks(execute=True):
        swept = work.sweep(IMPORTS, now=due)

    assert swept == 1
    assert LeadImport.objects.get(pk=job.pk).status == LeadImport.Status.DONE
    assert LeadImport.objects.get(pk=running.pk).status == LeadImport.Status.RUNNING
