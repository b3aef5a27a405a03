"""The changelists' estimated count (crm/core/paginator.py) is the planner's estimate of the list's own rows."""

import json

import pytest
from django.db import connection
from django.db.models import Count

from crm.core.paginator import estimated_count
from crm.sales.models import Lead


def _planned_rows(queryset) -> int:
    """The planner's row estimate for the queryset's full SELECT, columns and all."""
    sql, params = queryset.order_by().select_related(None).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_estimate_is_the_planners_for_the_lists_full_select():
    from tests.sales.factories import LeadFactory

    LeadFactory.create_batch(5, country="DE")
    LeadFactory.create_batch(2, country="FR")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sales_lead")
    listed = Lead.objects.select_related("sales_status", "sales_person", "desk").order_by("-created_at")
    querysets = [
        listed,
        listed.filter(country="DE"),
        listed.filter(email__icontains="example").exclude(country="FR"),
        listed.filter(country="DE").distinct(),  # DISTINCT: the full select is explained
        listed.annotate(notes=Count("pk")),  # grouped: the full select is explained
    ]
    for queryset in querysets:
        assert estimated_count(queryset) == _planned_rows(queryset), str(queryset.query)
