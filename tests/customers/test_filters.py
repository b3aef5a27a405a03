"""One test per filter of the back-office client list (the seed's "Get all customers")."""

import datetime as dt

import pytest
from django.urls import reverse_lazy
from django.utils import timezone

from crm.customers.api.filters import CustomerFilterSet
from crm.customers.models import ClientRole, Customer
from tests.customers.factories import ClientGroupFactory, CustomerFactory, SalesStatusFactory
from tests.users.factories import StaffUserFactory

pytestmark = pytest.mark.django_db
LIST_URL = reverse_lazy("backoffice:customer-list")
IDS_URL = reverse_lazy("backoffice:customer-ids")
NOW = timezone.now()


@pytest.fixture
def listed(api_client, sales_manager):
    """GET the list as a sales manager; returns the ids in the order shown."""
    api_client.force_authenticate(sales_manager)

    def get(params):
        response = api_client.get(LIST_URL, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    return get


def test_every_seed_filter_has_a_parameter():
    seed_filters = {
        "search",
        "country",
        "group",
        "last_activity_after",
        "last_activity_before",
        "registered_after",
        "registered_before",
        "status",
        "kyc_status",
        "role",
        "source",
        "deposit_count",
        "sales_status_id",
        "activity",
        "positions",
        "introducer_id",
        "updated_since",
        "risk_status",
        "retention_agent_id",
        "conversion_agent_id",
        "has_ftd",
        "ordering",
    }

    assert set(CustomerFilterSet.base_filters) == seed_filters


def test_search_by_email_prefix(listed):
    match = CustomerFactory(email="jane.doe@example.com")
    CustomerFactory(email="john@example.com")

    assert listed({"search": "JANE.D"}) == [match.pk]


def test_search_by_last_name_prefix(listed):
    match = CustomerFactory(last_name="Smithson", email="a@example.com")
    CustomerFactory(last_name="Jones", email="b@example.com")

    assert listed({"search": "smith"}) == [match.pk]


def test_search_by_phone_digits(listed):
    match = CustomerFactory(phone="+447911123456")
    CustomerFactory(phone="+4915112345678")

    assert listed({"search": "+4479111"}) == [match.pk]


def test_search_by_exact_id(listed):
    match, _other = CustomerFactory.create_batch(2)

    assert listed({"search": str(match.pk)}) == [match.pk]


def test_filter_by_several_countries(listed):
    german = CustomerFactory(country="DE")
    french = CustomerFactory(country="FR")
    CustomerFactory(country="GB")

    assert sorted(listed({"country": ["DE", "FR"]})) == sorted([german.pk, french.pk])


def test_filter_by_group_names_lists_each_client_once(listed):
    vip, islamic = ClientGroupFactory(name="VIP"), ClientGroupFactory(name="Islamic")
    both, only_vip, none = CustomerFactory.create_batch(3)
    both.groups.add(vip, islamic)
    only_vip.groups.add(vip)

    assert sorted(listed({"group": ["VIP", "Islamic"]})) == sorted([both.pk, only_vip.pk])
    assert none.pk not in listed({"group": ["VIP"]})


def test_filter_by_last_activity_range(listed):
    inside = CustomerFactory(last_activity_at=NOW - dt.timedelta(days=5))
    CustomerFactory(last_activity_at=NOW - dt.timedelta(days=20))
    CustomerFactory(last_activity_at=None)

    params = {
        "last_activity_after": (NOW - dt.timedelta(days=10)).isoformat(),
        "last_activity_before": (NOW - dt.timedelta(days=1)).isoformat(),
    }
    assert listed(params) == [inside.pk]


def test_filter_by_registration_range(listed):
    inside = CustomerFactory(registered_at=NOW - dt.timedelta(days=3))
    CustomerFactory(registered_at=NOW - dt.timedelta(days=30))

    assert listed({"registered_after": (NOW - dt.timedelta(days=7)).isoformat()}) == [inside.pk]
    assert inside.pk not in listed({"registered_before": (NOW - dt.timedelta(days=7)).isoformat()})


def test_filter_by_several_statuses(listed):
    active = CustomerFactory(status=Customer.Status.ACTIVE)
    banned = CustomerFactory(status=Customer.Status.BANNED)
    CustomerFactory(status=Customer.Status.DELETED)

    assert sorted(listed({"status": ["active", "banned"]})) == sorted([active.pk, banned.pk])


def test_filter_by_kyc_status(listed):
    pending = CustomerFactory(kyc_status=Customer.KycStatus.PENDING)
    CustomerFactory(kyc_status=Customer.KycStatus.APPROVED)

    assert listed({"kyc_status": ["pending"]}) == [pending.pk]


def test_filter_by_roles_lists_each_client_once(listed):
    trader, leader = ClientRole.objects.get(name="trader"), ClientRole.objects.get(name="leader")
    both, only_leader, _none = CustomerFactory.create_batch(3)
    both.roles.add(trader, leader)
    only_leader.roles.add(leader)

    assert sorted(listed({"role": ["trader", "leader"]})) == sorted([both.pk, only_leader.pk])


def test_filter_by_several_sources(listed):
    google = CustomerFactory(source="google")
    facebook = CustomerFactory(source="facebook")
    CustomerFactory(source="tiktok")

    assert sorted(listed({"source": ["google", "facebook"]})) == sorted([google.pk, facebook.pk])


@pytest.mark.parametrize(
    ("value", "expected"), [("0", [0]), ("1", [1]), ("2+", [2, 5]), ("5", [5])], ids=["none", "one", "two+", "exact"]
)
def test_filter_by_deposit_count(listed, value, expected):
    by_count = {count: CustomerFactory(deposit_count=count).pk for count in (0, 1, 2, 5)}

    assert sorted(listed({"deposit_count": value})) == sorted(by_count[count] for count in expected)


def test_invalid_deposit_count_answers_400(api_client, sales_manager):
    api_client.force_authenticate(sales_manager)

    response = api_client.get(LIST_URL, {"deposit_count": "many"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["deposit_count"]


def test_filter_by_sales_status(listed):
    call_back, lost = SalesStatusFactory(name="Call back"), SalesStatusFactory(name="Lost")
    match = CustomerFactory(sales_status=call_back)
    CustomerFactory(sales_status=lost)
    CustomerFactory(sales_status=None)

    assert listed({"sales_status_id": [call_back.pk]}) == [match.pk]


def test_filter_by_activity(listed):
    active = CustomerFactory(last_activity_at=NOW - dt.timedelta(days=2))
    stale = CustomerFactory(last_activity_at=NOW - dt.timedelta(days=45))
    never = CustomerFactory(last_activity_at=None)

    assert listed({"activity": "active"}) == [active.pk]
    assert sorted(listed({"activity": "inactive"})) == sorted([stale.pk, never.pk])


def test_filter_by_open_positions(listed):
    trading = CustomerFactory(open_positions_count=3)
    idle = CustomerFactory(open_positions_count=0)

    assert listed({"positions": "open"}) == [trading.pk]
    assert listed({"positions": "none"}) == [idle.pk]


def test_filter_by_introducer(listed):
    introducer = CustomerFactory()
    referral = CustomerFactory(introducer=introducer)
    CustomerFactory()

    assert listed({"introducer_id": introducer.pk}) == [referral.pk]


def test_filter_by_updated_since(listed):
    recent, old = CustomerFactory.create_batch(2)
    Customer.objects.filter(pk=old.pk).update(updated_at=NOW - dt.timedelta(days=10))

    assert listed({"updated_since": (NOW - dt.timedelta(days=1)).isoformat()}) == [recent.pk]


def test_filter_by_risk_status(listed):
    high = CustomerFactory(risk_status=Customer.RiskStatus.HIGH)
    review = CustomerFactory(risk_status=Customer.RiskStatus.REVIEW)
    CustomerFactory(risk_status=Customer.RiskStatus.LOW)

    assert sorted(listed({"risk_status": ["high", "review"]})) == sorted([high.pk, review.pk])


def test_filter_by_retention_agents(listed, retention_agent):
    other = StaffUserFactory()
    first = CustomerFactory(retention_agent=retention_agent)
    second = CustomerFactory(retention_agent=other)
    CustomerFactory(retention_agent=None)

    assert sorted(listed({"retention_agent_id": [retention_agent.pk, other.pk]})) == sorted([first.pk, second.pk])


def test_filter_by_conversion_agents(listed, sales_agent):
    match = CustomerFactory(conversion_agent=sales_agent)
    CustomerFactory(conversion_agent=StaffUserFactory())

    assert listed({"conversion_agent_id": [sales_agent.pk]}) == [match.pk]


def test_agent_may_filter_only_by_themselves(api_client, sales_agent, other_sales_agent):
    CustomerFactory(conversion_agent=sales_agent)
    api_client.force_authenticate(sales_agent)

    own = api_client.get(LIST_URL, {"conversion_agent_id": sales_agent.pk})
    other = api_client.get(LIST_URL, {"conversion_agent_id": other_sales_agent.pk})

    assert own.json()["count"] == 1
    assert other.status_code == 400


def test_filter_by_first_time_deposit(listed):
    depositor = CustomerFactory(first_deposit_at=NOW)
    prospect = CustomerFactory(first_deposit_at=None)

    assert listed({"has_ftd": "true"}) == [depositor.pk]
    assert listed({"has_ftd": "false"}) == [prospect.pk]


@pytest.mark.parametrize("field", ["registered_at", "last_activity_at", "last_name", "email", "id"])
def test_ordering(listed, field):
    customers = [
        CustomerFactory(
            last_name=name,
            email=f"{name.lower()}@example.com",
            registered_at=NOW - dt.timedelta(days=index),
            last_activity_at=NOW - dt.timedelta(days=index),
        )
        for index, name in enumerate(["Adams", "Baker", "Clark"])
    ]
    ascending = sorted(customers, key=lambda customer: getattr(customer, "pk" if field == "id" else field))

    assert listed({"ordering": field}) == [customer.pk for customer in ascending]
    assert listed({"ordering": f"-{field}"}) == [customer.pk for customer in reversed(ascending)]


def test_ids_route_takes_the_same_filters(api_client, sales_manager):
    german = CustomerFactory(country="DE", registered_at=NOW - dt.timedelta(days=1))
    german_too = CustomerFactory(country="DE", registered_at=NOW)
    CustomerFactory(country="FR")
    api_client.force_authenticate(sales_manager)

    response = api_client.get(IDS_URL, {"country": "DE"})

    assert response.json() == {"ids": [german_too.pk, german.pk]}
