"""Round-robin under concurrency: the desk row lock hands each turn out once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from crm.sales import services
from crm.sales.models import Lead
from tests.conftest import staff_with_role
from tests.sales.factories import AssignmentRuleFactory, DeskFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_leads_are_spread_evenly_over_the_desk():
    team = [staff_with_role("Sales Agent") for _ in range(3)]
    AssignmentRuleFactory(desk=DeskFactory(members=team))
    manager = staff_with_role("Sales Manager")
    barrier = threading.Barrier(12)
    errors = []

    def create(index: int) -> None:
        try:
            barrier.wait()
            services.create_lead(actor=manager, email=f"c{index}@example.com")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    counts = Counter(Lead.objects.values_list("sales_person_id", flat=True))
    assert sorted(counts.values()) == [4, 4, 4]
