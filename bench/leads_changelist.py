"""Leads changelist at 1,000,000 leads: server time of the first page against the page's own bare SQL query.

As a sales manager (sees every lead) through Django's test client, median of several requests:
- leads_changelist: every lead (`assigned=all`), newest first.
- leads_changelist_status: filtered by one sales status.
- leads_changelist_agent: filtered by one sales person.
The baseline is the SQL the page runs for its rows (captured from the request), executed alone on the same
connection: what the page would cost if Django, the admin and the template were free. The aim is a page
under 300 ms.
- leads_changelist_render: the unfiltered page against the same 50 rows and 12 columns (and the row
  checkbox and link) fetched by the ORM and rendered by a minimal Django template, in the same run: the
  limit of a server-rendered page. Aim: ratio <= 2 and a page under 150 ms.
The leads are built with one INSERT ... SELECT inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench._report import bench_line  # noqa: E402
from crm.core.roles import Role  # noqa: E402
from crm.customers.models import SalesStatus  # noqa: E402
from crm.users.models import Desk, User  # noqa: E402

LEADS = int(os.environ.get("BENCH_LEADS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))


class _Rollback(Exception):
    pass


def build() -> tuple[User, list[int], list[int]]:
    agents = User.objects.bulk_create(
        User(email=f"bench-lead-agent{i}@bench.invalid", first_name="Agent", last_name=str(i), is_staff=True)
        for i in range(20)
    )
    manager = User.objects.create(email="bench-lead-manager@bench.invalid", is_staff=True)
    manager.groups.add(Group.objects.get(name=Role.SALES_MANAGER))
    statuses = [SalesStatus.objects.get_or_create(name=f"Bench lead {i}", color="#22c55e")[0] for i in range(8)]
    desks = [Desk.objects.create(name=f"Bench lead desk {i}") for i in range(4)]
    agent_ids = [a.pk for a in agents]
    status_ids = [s.pk for s in statuses]
    desk_ids = [d.pk for d in desks]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO sales_lead (
                created_at, updated_at, first_name, last_name, email, phone, country, language, can_be_called,
                source, campaign, external_id, sub_id, utm_source, utm_medium, utm_campaign, utm_term, utm_content,
                sales_status_id, sales_person_id, desk_id, follow_up_note, duplicate_score, signup_code
            )
            SELECT now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval,
                   'First' || i, 'Last' || (i %% 5000), 'lead' || i || '@bench.invalid',
                   '+4479' || lpad(i::text, 8, '0'),
                   (ARRAY['GB','DE','FR','ES','IT','PL','NL','SE','AT','IE'])[1 + i %% 10], 'en', true,
                   (ARRAY['google','facebook','affiliate','web'])[1 + i %% 4], '', '', '', '', '', '', '', '',
                   (%s::int[])[1 + i %% 8],
                   CASE WHEN i %% 10 = 0 THEN NULL ELSE (%s::int[])[1 + (i / 7) %% 20] END,
                   (%s::int[])[1 + i %% 4], '', 0, 'B' || lpad(i::text, 15, '0')
            FROM generate_series(1, %s) AS i
            """,
            [status_ids, agent_ids, desk_ids, LEADS],
        )
        cursor.execute("ANALYZE sales_lead")
    return manager, status_ids, agent_ids


def page_sql(client: Client, url: str) -> tuple[str, list]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    selects = [q["sql"] for q in queries.captured_queries if 'FROM "sales_lead"' in q["sql"]]
    # The page's rows: the query with the LIMIT, or on a result that fits one page the last one that is no count.
    rows = [sql for sql in selects if "LIMIT" in sql] or [sql for sql in selects if "COUNT(" not in sql]
    return rows[-1]


def timed_page(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed


def timed_sql(sql: str) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchall()
    return (time.perf_counter() - started) * 1000


MINIMAL_PAGE = """<table>{% for lead in leads %}<tr>
<td><input type="checkbox" name="_selected_action" value="{{ lead.pk }}"></td>
<th><a href="{{ change_url }}{{ lead.pk }}/change/">{{ lead.full_name }} (#{{ lead.pk }})</a></th>
<td>{{ lead.email }}</td><td>{{ lead.phone }}</td><td>{{ lead.country.code }}</td>
<td><span style="background: {{ lead.sales_status.color }}">{{ lead.sales_status.name }}</span></td>
<td>{{ lead.sales_person }}</td><td>{{ lead.desk }}</td><td>{{ lead.source }}</td>
<td>{{ lead.last_contact_at|default:"-" }}</td><td>{{ lead.follow_up_at|default:"-" }}</td>
<td>{{ lead.duplicate_score|default:"-" }}</td><td>{{ lead.created_at }}</td>
</tr>{% endfor %}</table>"""


def timed_minimal_page(manager: User) -> float:
    """The unfiltered page's rows and columns, fetched by the ORM and rendered by a minimal template."""
    from django.template import engines

    from crm.sales.models import Lead

    template = engines["django"].from_string(MINIMAL_PAGE)
    change_url = reverse("admin:sales_lead_changelist")
    started = time.perf_counter()
    leads = list(
        Lead.objects.visible_to(manager)
        .active()
        .select_related("sales_status", "sales_person", "desk")
        .order_by("-created_at", "-id")[:50]
    )
    html = template.render({"leads": leads, "change_url": change_url})
    elapsed = (time.perf_counter() - started) * 1000
    if html.count("<tr>") != min(50, LEADS):
        raise RuntimeError("The minimal page did not render its rows")
    return elapsed


def measure_render(client: Client, url: str, manager: User) -> tuple[float, float]:
    timed_page(client, url)
    timed_minimal_page(manager)
    values, baselines = [], []
    for _ in range(ROUNDS):
        values.append(timed_page(client, url))
        baselines.append(timed_minimal_page(manager))
    return statistics.median(values), statistics.median(baselines)


def measure(client: Client, url: str) -> tuple[float, float]:
    sql = page_sql(client, url)  # also warms caches
    timed_sql(sql)
    values, baselines = [], []
    for _ in range(ROUNDS):
        values.append(timed_page(client, url))
        baselines.append(timed_sql(sql))
    return statistics.median(values), statistics.median(baselines)


def main() -> int:
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 1
    changelist = reverse("admin:sales_lead_changelist")
    results = {}
    try:
        with transaction.atomic():
            manager, status_ids, agent_ids = build()
            client = Client()
            client.force_login(manager)
            pages = {
                "leads_changelist": f"{changelist}?assigned=all",
                "leads_changelist_status": f"{changelist}?assigned=all&sales_status__id__exact={status_ids[3]}",
                "leads_changelist_agent": f"{changelist}?assigned=all&sales_person__id__exact={agent_ids[5]}",
            }
            for name, url in pages.items():
                results[name] = measure(client, url)
            results["leads_changelist_render"] = measure_render(client, pages["leads_changelist"], manager)
            raise _Rollback
    except _Rollback:
        pass
    for name, (value, baseline) in results.items():
        print(bench_line(name, value, baseline, "ms"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
