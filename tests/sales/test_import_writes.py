"""How imports write: COPY on PostgreSQL (of values or of lines formatted ahead) and bulk_create elsewhere give
the same rows; routing, defaults and limits of imported rows; concurrent imports."""

from __future__ import annotations

import threading

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.forms.models import model_to_dict

from crm.core.imports import insert
from crm.core.models import Activity
from crm.sales.models import Lead, LeadImport, LeadImportRejection
from crm.sales.services import imports
from crm.sales.services.duplicates import DuplicateIndex
from tests.conftest import staff_with_role
from tests.customers.factories import CustomerFactory
from tests.sales.factories import AssignmentRuleFactory, DeskFactory, LeadFactory

pytestmark = pytest.mark.django_db

FIELDS = ["first_name", "email", "phone", "country", "can_be_called", "source", "desk_id"]
GENERATED = {"id", "signup_code", "created_at", "updated_at"}


def run_file(owner, content: str, **kwargs) -> LeadImport:
    job = imports.create_import(owner=owner, file=ContentFile(content.encode(), name="leads.csv"), **kwargs)
    imports.start_import(job, actor=owner, queue_task=False)
    return imports.run_import(job.pk)


def comparable(lead: Lead) -> dict:
    return {k: v for k, v in model_to_dict(lead).items() if k not in GENERATED}


def test_insert_rows_returns_ids_in_order_and_fills_defaults():
    desk = DeskFactory()
    rows = [
        ("Ann", "ann@example.com", "+447911123456", "GB", False, "fair", desk.pk),
        ("Bob", "bob@example.com", "", "", True, "", None),
    ]

    ids = insert.insert_rows(Lead, FIELDS, rows)

    ann, bob = (Lead.objects.get(pk=pk) for pk in ids)
    assert (ann.email, ann.can_be_called, ann.desk_id, ann.country.code) == ("ann@example.com", False, desk.pk, "GB")
    assert (bob.email, bob.duplicate_score, bob.language, bob.sales_person_id) == ("bob@example.com", 0, "", None)
    assert ann.created_at
    assert ann.updated_at
    assert len({ann.signup_code, bob.signup_code}) == 2
    assert insert.insert_rows(Lead, FIELDS, []) == []


@pytest.mark.postgres
def test_copy_writes_what_bulk_create_writes():
    assert connection.vendor == "postgresql"
    desk = DeskFactory()
    lead_rows = [
        ("Ann", "ann@example.com", "+447911123456", "GB", False, "fair", desk.pk),
        ("Tab\there", "new\nline@example.com", "", "", True, "back\\slash", None),
        ("x\\N", "cr\r\n@example.com", "", "", False, "\\", None),  # looks like NULL; a lone backslash
        ("Plain\\", "plain@example.com", "", "GB", False, "fair", desk.pk),  # a backslash, no NULL
    ]
    owner = staff_with_role("Sales Manager")
    jobs = [LeadImport.objects.create(owner=owner, original_name=f"{n}.csv") for n in range(2)]

    copied = insert.copy_rows(Lead, FIELDS, lead_rows)
    created = insert.create_rows(Lead, FIELDS, lead_rows)
    # Formatted ahead, away from the connection (as an import's read-ahead thread does).
    lines = [insert.CopyText().line(row) for row in lead_rows]
    formatted = insert.insert_rows(Lead, FIELDS, lines, formatted=True)
    rejections = [
        insert_rejections(insert.copy_rows, jobs[0].pk),
        insert_rejections(insert.create_rows, jobs[1].pk),
    ]

    assert [comparable(Lead.objects.get(pk=pk)) for pk in copied] == [
        comparable(Lead.objects.get(pk=pk)) for pk in created
    ]
    assert [comparable(Lead.objects.get(pk=pk)) for pk in formatted] == [
        comparable(Lead.objects.get(pk=pk)) for pk in created
    ]
    assert copied == sorted(copied)
    assert not set(copied) & set(created)
    assert rejections[0] == rejections[1] == [(1, ["a", "é", None], ["Bad email 'x'."]), (2, [], [])]


def insert_rejections(write, job_id: int) -> list[tuple]:
    ids = write(
        LeadImportRejection,
        imports.REJECTION_FIELDS,
        [(job_id, 1, ["a", "é", None], ["Bad email 'x'."]), (job_id, 2, [], [])],
    )
    return [(r.row_number, r.cells, r.reasons) for r in LeadImportRejection.objects.filter(pk__in=ids)]


@pytest.mark.postgres
def test_an_import_writes_the_same_leads_through_copy_and_bulk_create(sales_manager, monkeypatch):
    content = "Name,Email,Mobile,Country,Source,Lang\n" + "".join(
        f"P{i} Q,p{i}@example.com,+33 6 12 34 56 {i:02d},FR,{'' if i % 2 else 'web'},FR\n" for i in range(6)
    )
    team = [staff_with_role("Sales Agent") for _ in range(2)]
    AssignmentRuleFactory(desk=DeskFactory(members=team), countries=["FR"])

    by_copy = run_file(sales_manager, content, defaults={"source": "fair"}, batch_size=4)
    copied = [comparable(lead) for lead in Lead.objects.filter(lead_import=by_copy).order_by("pk")]
    Lead.objects.all().delete()
    monkeypatch.setattr(insert, "copy_rows", insert.create_rows)
    by_orm = run_file(sales_manager, content, defaults={"source": "fair"}, batch_size=4)
    created = [comparable(lead) for lead in Lead.objects.filter(lead_import=by_orm).order_by("pk")]

    assert [{**lead, "lead_import": None} for lead in copied] == [{**lead, "lead_import": None} for lead in created]
    assert [lead["source"] for lead in copied] == ["web", "fair"] * 3
    assert len(copied) == 6


def test_imported_leads_follow_the_rules(sales_manager):
    import_and_check_routes(sales_manager)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_leads_settled_ahead_follow_the_rules():
    """Outside a transaction the read-ahead thread formats the leads as COPY text and the writer adds the
    routes: the desk and agent land in their own columns."""
    import_and_check_routes(staff_with_role("Sales Manager"))


def import_and_check_routes(sales_manager) -> None:
    fixed, one, two = (staff_with_role("Sales Agent") for _ in range(3))
    AssignmentRuleFactory(desk=DeskFactory(members=[fixed]), agent=fixed, countries=["FR"], priority=1)
    german = DeskFactory(members=[one, two])
    AssignmentRuleFactory(desk=german, countries=["DE"], priority=2)
    rows = "".join(f"{c.lower()}{i}@example.com,{c}\n" for i in range(2) for c in ("FR", "DE", "ES"))

    job = run_file(sales_manager, f"email,country\n{rows}")

    routed = {lead.email: (lead.desk_id, lead.sales_person_id) for lead in Lead.objects.all()}
    assert job.rows_imported == 6
    assert routed["fr0@example.com"][1] == routed["fr1@example.com"][1] == fixed.pk
    assert {routed["de0@example.com"], routed["de1@example.com"]} == {(german.pk, one.pk), (german.pk, two.pk)}
    assert routed["es0@example.com"] == routed["es1@example.com"] == (None, None)


def test_without_assign_the_defaults_are_kept_and_nobody_is_routed(sales_manager):
    desk = DeskFactory(members=[staff_with_role("Sales Agent")])
    AssignmentRuleFactory(desk=DeskFactory(members=[staff_with_role("Sales Agent")]))

    run_file(sales_manager, "email\na@example.com\n", defaults={"desk": desk.pk, "assign": False})

    assert Lead.objects.values_list("desk_id", "sales_person_id").get() == (desk.pk, None)


def test_too_long_email_and_defaults_for_empty_cells(sales_manager):
    long_email = "x" * 250 + "@example.com"
    content = f"email,source,campaign\n{long_email},,\nok@example.com,,own\n"

    job = run_file(sales_manager, content, defaults={"source": "fair", "campaign": "spring"})

    lead = Lead.objects.get()
    assert (job.rows_imported, job.rows_rejected) == (1, 1)
    assert (lead.source, lead.campaign) == ("fair", "own")
    assert job.rejections.get().reasons == ["email is longer than 254 characters."]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_take_distinct_ids_and_keep_their_batches():
    owner = staff_with_role("Sales Manager")
    names, jobs = ("a", "b"), []
    for name in names:
        rows = "".join(f"{name}{i}@example.com\n" for i in range(40))
        job = imports.create_import(
            owner=owner, file=ContentFile(f"email\n{rows}".encode(), name="x.csv"), batch_size=5
        )
        jobs.append(imports.start_import(job, actor=owner, queue_task=False))
    barrier = threading.Barrier(2)
    errors = []

    def run(job_id: int) -> None:
        try:
            barrier.wait()
            imports.run_import(job_id)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job.pk,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for name, job in zip(names, jobs, strict=True):
        job.refresh_from_db()
        assert (job.status, job.rows_imported) == (LeadImport.Status.DONE, 40)
        assert set(Lead.objects.filter(lead_import=job).values_list("email", flat=True)) == {
            f"{name}{i}@example.com" for i in range(40)
        }
        batches = Activity.objects.filter(action="lead_import.batch_imported", target_id=str(job.pk))
        assert sum(entry.data["count"] for entry in batches) == 40
    assert Lead.objects.count() == 80


def test_rows_are_read_ahead_in_a_thread_and_batches_stay_in_order(sales_manager, monkeypatch):
    """Reading and validating runs in the read-ahead thread; batches commit in file order, so a row
    duplicating a row of an earlier batch is still caught."""
    readers = set()
    read = imports.RowReader.read

    def recording_read(self, number, raw):
        readers.add(threading.current_thread().name)
        return read(self, number, raw)

    monkeypatch.setattr(imports.RowReader, "read", recording_read)
    rows = "".join(f"r{i}@example.com\n" for i in range(7)) + "r1@example.com\n"

    job = run_file(sales_manager, f"email\n{rows}", batch_size=3)

    assert (job.rows_done, job.rows_imported, job.rows_rejected) == (8, 7, 1)
    assert list(Lead.objects.filter(lead_import=job).order_by("pk").values_list("email", flat=True)) == [
        f"r{i}@example.com" for i in range(7)
    ]
    assert LeadImportRejection.objects.get(lead_import=job).row_number == 8
    assert {name.startswith("lead-import-read") for name in readers} == {True}


def import_duplicates_and_check_reasons(monkeypatch, *, looked_up_ahead: bool) -> None:
    owner = staff_with_role("Sales Manager")
    known = LeadFactory(email="known@example.com")
    client = CustomerFactory(email="client@example.com")
    lookups = set()
    build = DuplicateIndex.__init__

    def recording_build(self, *args, **kwargs):
        lookups.add(threading.current_thread().name.startswith("lead-import-read"))
        build(self, *args, **kwargs)

    monkeypatch.setattr(DuplicateIndex, "__init__", recording_build)
    rows = [
        "a@example.com,",
        "b@example.com,+44 7911 123456",
        "A@example.com,",  # batch 2: row 1's lead, written while batch 2 was looked up
        "known@example.com,",
        "client@example.com,",
        "c@example.com,+447911123456",  # batch 3: row 2's lead, committed before batch 3 was looked up
        "d@example.com,",
        "d@example.com,",  # the same batch as row 7
    ]

    job = run_file(owner, "email,phone\n" + "\n".join(rows) + "\n", batch_size=2, defaults={"assign": False})

    leads = dict(Lead.objects.filter(lead_import=job).values_list("email", "pk"))
    assert (job.status, job.rows_imported, sorted(leads)) == (
        LeadImport.Status.DONE,
        3,
        ["a@example.com", "b@example.com", "d@example.com"],
    )
    assert dict(job.rejections.values_list("row_number", "reasons")) == {
        3: [f"Duplicate of lead #{leads['a@example.com']} (email)."],
        4: [f"Duplicate of lead #{known.pk} (email)."],
        5: [f"Already a client: #{client.pk} (email)."],
        6: [f"Duplicate of lead #{leads['b@example.com']} (phone)."],
        8: ["Duplicate of row 7 of this file (email)."],
    }
    assert lookups == {looked_up_ahead}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_duplicates_are_looked_up_ahead_on_another_connection_outside_a_transaction(monkeypatch):
    """The read-ahead thread looks each batch's duplicates up on its own connection while the batch before
    is written, and the import adds that batch's leads, which the lookup could not see yet."""
    import_duplicates_and_check_reasons(monkeypatch, looked_up_ahead=True)


def test_duplicates_are_looked_up_on_the_import_connection_inside_a_transaction(monkeypatch):
    """Another connection could not see what the transaction wrote: the same reasons, looked up after each
    batch on the import's own connection (tests run inside a transaction, as any caller's atomic block)."""
    import_duplicates_and_check_reasons(monkeypatch, looked_up_ahead=False)


@pytest.mark.postgres
@pytest.mark.parametrize("columns", [(), ("email", "phone", "external_id", "merged_into")])
def test_the_planner_hears_of_a_table_an_import_multiplied(columns):
    statistics = insert.PlannerStatistics(Lead, columns=columns)
    rows = [(f"s{i}@example.com",) for i in range(statistics.estimate + 50)]

    insert.insert_rows(Lead, ["email"], rows)
    statistics.grew(len(rows))

    assert statistics.estimate >= len(rows)
    assert statistics.added == 0
