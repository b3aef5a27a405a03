"""Every index of `sales_lead` serves a query of the admin, the API or a task, shown by EXPLAIN on PostgreSQL.

The planner is told to avoid sequential scans, and sorts where the order is the point (the test table is
tiny, so it would scan it whole and sort, or pick whichever index its statistics of the moment favour):
what is shown is that the query's conditions (and order) can be answered from that index, which is what it
costs every insert for. The set of indexes is checked too, so an index nothing names here cannot come back.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.sales.models import Lead
from crm.sales.services.duplicates import DuplicateIndex, Keys

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
NEWEST = ("-created_at", "-id")


def _duplicate_lookup_sql(keys: Keys) -> str:
    """The SQL of the import's duplicate lookup for `keys` (the leads query), as sent."""
    with CaptureQueriesContext(connection) as captured:
        DuplicateIndex([keys])
    return next(q["sql"] for q in captured.captured_queries if '"sales_lead"' in q["sql"])


# Lists, newest first: the index answers the condition and the order (no sort allowed in the plan).
ORDERED = {
    "lead_created_idx": lambda: Lead.objects.order_by(*NEWEST)[:50],
    "lead_person_created_idx": lambda: Lead.objects.filter(sales_person_id=1).order_by(*NEWEST)[:50],
    "lead_status_created_idx": lambda: Lead.objects.filter(sales_status_id=1).order_by(*NEWEST)[:50],
    "lead_desk_created_idx": lambda: Lead.objects.filter(desk_id=1).order_by(*NEWEST)[:50],
    "lead_country_created_idx": lambda: Lead.objects.filter(country="GB").order_by(*NEWEST)[:50],
    "lead_source_created_idx": lambda: Lead.objects.filter(source="web").order_by(*NEWEST)[:50],
    "lead_follow_up_idx": lambda: Lead.objects.filter(sales_person_id=1).due_follow_ups(until=NOW),
}
# Lookups: the index answers the condition (the rows are then few, whatever their order).
FILTERED = {
    "lead_updated_idx": lambda: Lead.objects.filter(updated_at__gte=NOW),
    "lead_email_idx": lambda: Lead.objects.search("ann@exa"),
    "lead_phone_idx": lambda: Lead.objects.search("+4479"),
    "lead_last_name_upper_pattern_idx": lambda: Lead.objects.filter(last_name__istartswith="Smi"),
    "lead_duplicate_idx": lambda: Lead.objects.filter(duplicate_score__gt=0),
    "lead_customer_idx": lambda: Lead.objects.filter(customer_id=1),
    "lead_affiliate_idx": lambda: Lead.objects.filter(affiliate_id=1),
    "lead_dup_of_idx": lambda: Lead.objects.filter(duplicate_of_id=1),
    "lead_dup_customer_idx": lambda: Lead.objects.filter(duplicate_customer_id=1),
    "lead_merged_idx": lambda: Lead.objects.filter(merged_into_id=1),
    "lead_signup_code_unique": lambda: Lead.objects.filter(signup_code="0A1B2C3D4E5F6A7B"),
}
DUPLICATE_LOOKUPS = {
    "lead_email_idx": Keys(email="ann@example.com"),
    "lead_phone_idx": Keys(phone="+447911123456"),
    "lead_external_id_idx": Keys(external_id="aff-42"),
}


def _plan(sql: str, params=(), *, ordered: bool = False) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"SET LOCAL enable_sort = {'off' if ordered else 'on'}")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
        cursor.execute("SET LOCAL enable_sort = on")
    return plan


@pytest.mark.parametrize("index", sorted(ORDERED))
def test_the_index_serves_its_list_in_order(index):
    sql, params = ORDERED[index]().query.sql_with_params()

    assert index in _plan(sql, params, ordered=True)


@pytest.mark.parametrize("index", sorted(FILTERED))
def test_the_index_serves_its_lookup(index):
    sql, params = FILTERED[index]().order_by().query.sql_with_params()

    assert index in _plan(sql, params)


@pytest.mark.parametrize("index", sorted(DUPLICATE_LOOKUPS))
def test_the_index_serves_the_duplicate_lookup(index):
    # The condition is the cost; its few rows are then put in id order (left out here, or a tiny table's
    # plan walks the primary key instead).
    sql = _duplicate_lookup_sql(DUPLICATE_LOOKUPS[index]).removesuffix(" ORDER BY id")

    assert index in _plan(sql)


def test_every_index_of_the_leads_table_is_named_here():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Lead._meta.db_table)
    indexes = {name for name, info in constraints.items() if info["index"] or info["unique"]}

    assert indexes == {"sales_lead_pkey", *ORDERED, *FILTERED, *DUPLICATE_LOOKUPS}
