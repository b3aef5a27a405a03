"""The indexes of `customers_customer` on its choice and code columns serve the admin and API filters (EXPLAIN on
PostgreSQL), as plain btrees: the pattern-ops twins Django adds beside an indexed CharField are gone (nothing
searches these columns by prefix, and each twin cost every write of a client).

The planner is told to avoid sequential scans (the test table is tiny, so it would scan it whole): what is shown
is that the filter's condition can be answered from the index.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict

from crm.customers.api.filters import CustomerFilterSet
from crm.customers.models import Customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# The API's filters (the changelist's dropdown filters compare the same columns with `=`).
FILTERED = {
    "customer_status_idx": "status=banned",
    "customer_kyc_status_idx": "kyc_status=pending",
    "customer_risk_status_idx": "risk_status=high",
    "customer_country_idx": "country=GB",
}


def _plan(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


@pytest.mark.parametrize("index", sorted(FILTERED))
def test_the_index_serves_the_api_filter(index):
    filterset = CustomerFilterSet(QueryDict(FILTERED[index]), queryset=Customer.objects.all())
    assert filterset.is_valid(), filterset.errors
    queryset = filterset.qs
    sql, params = queryset.order_by().query.sql_with_params()

    assert index in _plan(sql, params)


def test_the_choice_columns_have_no_pattern_ops_twin():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'customers_customer' AND indexdef LIKE %s",
            ["%varchar_pattern_ops%"],
        )
        pattern_indexes = {row[0] for row in cursor.fetchall()}

    for column in ("status", "kyc_status", "risk_status", "country"):
        assert not any(name.startswith(f"customers_customer_{column}_") for name in pattern_indexes), column
