"""Every index of `customers_customer` serves a query of the admin, the API or a task, shown by EXPLAIN on PostgreSQL.

The planner is told to avoid sequential scans, and sorts where the order is the point (the test table is tiny,
so it would scan it whole and sort): what is shown is that the query's condition (and order) can be answered
from that index, which is what it costs every write of a client for. The set of indexes is read from the
database (`get_constraints`), so an index nothing names here cannot come back. The choice and code columns
have plain btrees, without the pattern-ops twins Django adds beside an indexed CharField (nothing searches
them by prefix).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from crm.customers.api.filters import CustomerFilterSet
from crm.customers.models import Customer
from crm.sales.services.duplicates import DuplicateIndex, Keys

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TABLE = "customers_customer"


def api(query: str):
    """The clients the API's list returns for `query` (the changelist's filters compare the same columns)."""

    def build():
        filterset = CustomerFilterSet(QueryDict(query), queryset=Customer.objects.all())
        assert filterset.is_valid(), filterset.errors
        return filterset.qs

    return build


def duplicate_lookup(keys: Keys):
    """The lead import's duplicate lookup of clients for `keys`, as sent."""

    def sql() -> tuple[str, tuple]:
        with CaptureQueriesContext(connection) as captured:
            DuplicateIndex([keys])
        return next(q["sql"] for q in captured.captured_queries if f'"{TABLE}"' in q["sql"]), ()

    return sql


def orm(build):
    def sql() -> tuple[str, tuple]:
        return build().order_by().query.sql_with_params()

    return sql


# Lists in an order: the index answers the condition and the order (no sort allowed in the plan).
ORDERED = {
    "customer_conv_agent_idx": lambda: Customer.objects.filter(conversion_agent_id=1).order_by("-registered_at")[:50],
    "customer_ret_agent_idx": lambda: Customer.objects.filter(retention_agent_id=1).order_by("-registered_at")[:50],
    "customer_last_name_idx": lambda: api("ordering=last_name")().order_by("last_name")[:50],
    # A field's own index (db_index=True), named by its column.
    "registered_at": lambda: Customer.objects.order_by("-registered_at")[:50],
}
# Lookups: the index answers the condition (the rows are then few, whatever their order).
FILTERED = {
    "customers_customer_pkey": orm(lambda: Customer.objects.filter(pk=1)),
    "customers_customer_user_id_key": orm(lambda: Customer.objects.filter(user_id=1)),
    "customer_email_ci_unique": duplicate_lookup(Keys(email="ann@example.com")),
    "customer_email_pattern_idx": orm(lambda: Customer.objects.search("ann@exa")),
    "customer_last_name_upper_pattern_idx": orm(lambda: Customer.objects.filter(last_name__istartswith="Smi")),
    "customer_phone_pattern_idx": orm(lambda: Customer.objects.search("+4479")),
    "customer_referral_key_unique": orm(lambda: Customer.objects.filter(referral_key="k3y")),
    "customer_status_idx": orm(api("status=banned")),
    "customer_kyc_status_idx": orm(api("kyc_status=pending")),
    "customer_risk_status_idx": orm(api("risk_status=high")),
    "customer_country_idx": orm(api("country=GB")),
    "customer_source_idx": orm(api("source=web")),
    "customer_updated_idx": orm(api("updated_since=2026-01-05T09:00:00Z")),
    "sales_status_id": orm(lambda: Customer.objects.filter(sales_status_id=1)),
    "introducer_id": orm(api("introducer_id=1")),
    "last_activity_at": orm(api("last_activity_after=2026-01-05T09:00:00Z")),
    "first_deposit_at": orm(api("has_ftd=true")),
    "deposit_count": orm(api("deposit_count=3%2B")),
}
# The same index, for another query it serves.
ALSO = {"customer_phone_pattern_idx": duplicate_lookup(Keys(phone="+447911123456"))}


def _constraints() -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, TABLE)


def _index_name(key: str) -> str:
    """An index's name; a field's own index (named by Django with a hash) by its column."""
    constraints = _constraints()
    if key in constraints:
        return key
    (name,) = [
        name
        for name, info in constraints.items()
        if info["index"] and info["columns"] == [key] and name.startswith(f"{TABLE}_{key}_")
    ]
    return name


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

    assert _index_name(index) in _plan(sql, params, ordered=True)


@pytest.mark.parametrize("index", sorted(FILTERED))
def test_the_index_serves_its_lookup(index):
    sql, params = FILTERED[index]()

    assert _index_name(index) in _plan(sql, params)


@pytest.mark.parametrize("index", sorted(ALSO))
def test_the_index_serves_another_lookup(index):
    sql, params = ALSO[index]()

    assert _index_name(index) in _plan(sql, params)


def test_every_index_of_the_clients_table_is_named_here():
    indexes = {name for name, info in _constraints().items() if info["index"] or info["unique"]}

    assert indexes == {_index_name(key) for key in (*ORDERED, *FILTERED)}


def test_the_choice_and_code_columns_have_no_pattern_ops_twin():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [TABLE, "%varchar_pattern_ops%"],
        )
        pattern_indexes = {row[0] for row in cursor.fetchall()}

    assert pattern_indexes == {
        "customer_email_pattern_idx",
        "customer_last_name_upper_pattern_idx",
        "customer_phone_pattern_idx",
    }
