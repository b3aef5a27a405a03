"""Affiliate portal referrals: scoping to the affiliate's own tree, masking, filters, notes, count, CSV."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.affiliates.models import Affiliate, ReferralNote
from crm.customers.models import Customer
from tests.affiliates.api_factories import log_in, portal_affiliate, with_key
from tests.affiliates.factories import AffiliateFactory, referral_of
from tests.customers.factories import CustomerFactory, PortalCustomerFactory, bearer

pytestmark = pytest.mark.django_db
LIST_URL = reverse("affiliate:referral-list")


def detail_url(customer) -> str:
    return reverse("affiliate:referral-detail", args=[customer.pk])


@pytest.fixture
def tree():
    """master -> sub -> subsub, each with one referral; a stranger affiliate with one."""
    master = portal_affiliate()
    sub = portal_affiliate(parent=master)
    subsub = AffiliateFactory(parent=sub)
    stranger = portal_affiliate()
    return {
        "master": master,
        "sub": sub,
        "subsub": subsub,
        "stranger": stranger,
        "own": referral_of(master, email="own@example.com"),
        "sub_referral": referral_of(sub),
        "deep_referral": referral_of(subsub),
        "stranger_referral": referral_of(stranger),
    }


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_affiliate_lists_its_own_and_its_whole_downline_referrals(api_client, tree):
    log_in(api_client, tree["master"])

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    # the sub-IBs' referrals at any depth; never the stranger's
    assert _ids(response) == {tree["own"].pk, tree["sub_referral"].pk, tree["deep_referral"].pk}


def test_sub_affiliate_does_not_see_its_parents_referrals(api_client, tree):
    log_in(api_client, tree["sub"])

    response = api_client.get(LIST_URL)

    assert _ids(response) == {tree["sub_referral"].pk, tree["deep_referral"].pk}


@pytest.mark.parametrize(
    ("name", "status", "_case"),
    [
        ("stranger_referral", 404, "another affiliate's client"),
        ("deep_referral", 200, "a sub-sub-IB's client"),
        ("sub_referral", 200, "a sub-IB's client"),
    ],
)
def test_referral_detail_is_scoped_to_the_tree(api_client, tree, name, status, _case):
    log_in(api_client, tree["master"])

    response = api_client.get(detail_url(tree[name]))

    assert response.status_code == status


def test_client_outside_any_tree_answers_404(api_client, tree):
    log_in(api_client, tree["master"])

    assert api_client.get(detail_url(CustomerFactory())).status_code == 404


def test_level_and_introducer_say_where_in_the_tree_the_client_came_from(api_client, tree):
    log_in(api_client, tree["master"])

    body = api_client.get(detail_url(tree["deep_referral"])).json()

    assert (body["level"], body["introducer_affiliate_id"]) == (3, tree["subsub"].pk)


def test_email_and_phone_are_masked_unless_the_program_shows_them(api_client, tree):
    log_in(api_client, tree["master"])
    masked = api_client.get(detail_url(tree["own"])).json()
    Affiliate.objects.filter(pk=tree["master"].pk).update(show_contact_details=True)

    shown = api_client.get(detail_url(tree["own"])).json()

    assert masked["email"] == "o***@*******.com"
    assert "*" in masked["phone"]
    assert masked["phone"] != str(tree["own"].phone)
    assert (shown["email"], shown["phone"]) == ("own@example.com", str(tree["own"].phone))


@pytest.mark.parametrize(
    ("make_caller", "status", "_case"),
    [
        (lambda: None, 401, "anonymous"),
        (lambda: PortalCustomerFactory(), 403, "client who is no affiliate"),
        (lambda: portal_affiliate(status=Affiliate.Status.PENDING).customer, 403, "pending affiliate"),
    ],
)
def test_callers_who_are_not_active_affiliates_are_refused(api_client, make_caller, status, _case):
    customer = make_caller()
    if customer is not None:
        bearer(api_client, customer)

    assert api_client.get(LIST_URL).status_code == status


def test_suspended_affiliate_is_refused(api_client, tree):
    log_in(api_client, tree["master"])
    Affiliate.objects.filter(pk=tree["master"].pk).update(status=Affiliate.Status.SUSPENDED, status_reason="fraud")

    assert api_client.get(LIST_URL).status_code == 403


def test_staff_are_refused(api_client, admin_staff):
    api_client.force_authenticate(admin_staff)

    assert api_client.get(LIST_URL).status_code == 403


def test_partner_key_reads_the_same_scoped_list(api_client, tree):
    with_key(api_client, tree["stranger"])

    response = api_client.get(LIST_URL)

    assert _ids(response) == {tree["stranger_referral"].pk}


def test_unknown_or_revoked_key_is_refused(api_client, tree):
    from crm.affiliates import services
    from crm.affiliates.models import AffiliateApiKey

    with_key(api_client, tree["master"])
    services.revoke_api_key(AffiliateApiKey.objects.get(affiliate=tree["master"]), actor=None)
    revoked = api_client.get(LIST_URL)
    api_client.credentials(HTTP_X_AFFILIATE_KEY="aff_not-a-key")

    assert (revoked.status_code, api_client.get(LIST_URL).status_code) == (401, 401)


def test_filters_of_affiliate_get_customers(api_client):
    affiliate = portal_affiliate()
    fb = referral_of(affiliate, source="FB", external_id="ext-1", last_name="Zimmer", first_name="Anna")
    google = referral_of(affiliate, source="Google", last_name="Adams", first_name="Zoe")
    referral_of(affiliate, source="Other", last_name="Miller", first_name="Bob")
    old = timezone.now() - dt.timedelta(days=10)
    Customer.objects.filter(pk=google.pk).update(updated_at=old)
    log_in(api_client, affiliate)
    day = old.date().isoformat()

    def ids(**params):
        return [row["id"] for row in api_client.get(LIST_URL, params).json()["results"]]

    assert ids(sources=["FB", "Google"], order_by="name|ASC") == [fb.pk, google.pk]
    assert ids(sources=["FB", "Google"], order_by="name|DESC") == [google.pk, fb.pk]
    assert ids(external_id="ext-1") == [fb.pk]
    assert ids(search="Zimm") == [fb.pk]
    assert ids(updated_to=day) == [google.pk]
    assert google.pk not in ids(updated_since=(old + dt.timedelta(days=1)).date().isoformat())


def test_unknown_order_column_is_a_field_error(api_client):
    affiliate = portal_affiliate()
    log_in(api_client, affiliate)

    response = api_client.get(LIST_URL, {"order_by": "password|ASC"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["order_by"]


def test_count_and_csv_export_follow_the_filters(api_client, tree):
    log_in(api_client, tree["master"])

    count = api_client.get(reverse("affiliate:referral-count"), {"search": "own@"}).json()
    export = api_client.get(reverse("affiliate:referral-export"))
    lines = b"".join(export.streaming_content).decode().splitlines()

    assert count == {"count": 1}
    assert export["Content-Type"] == "text/csv"
    assert lines[0].startswith("id,first_name,last_name,email,phone")
    assert len(lines) == 1 + 3
    assert "own@example.com" not in "\n".join(lines)


def test_sources_of_referred_customers(api_client):
    affiliate = portal_affiliate()
    referral_of(affiliate, source="FB")
    referral_of(affiliate, source="FB")
    referral_of(affiliate, source="")
    referral_of(AffiliateFactory(parent=affiliate), source="Google")
    referral_of(portal_affiliate(), source="Secret")
    log_in(api_client, affiliate)

    assert api_client.get(reverse("affiliate:referral-sources")).json() == {"sources": ["FB", "Google"]}


def test_update_sets_source_and_notes_once(api_client, tree):
    log_in(api_client, tree["master"])

    api_client.patch(detail_url(tree["own"]), {"source": "Webinar", "notes": "first"})
    response = api_client.patch(detail_url(tree["own"]), {"notes": "second"})

    assert response.status_code == 200
    assert (response.json()["source"], response.json()["notes"]) == ("Webinar", "second")
    assert list(ReferralNote.objects.values_list("body", flat=True)) == ["second"]


def test_notes_are_added_and_listed_for_the_affiliate_only(api_client, tree):
    ReferralNote.objects.create(affiliate=tree["sub"], customer=tree["sub_referral"], body="sub's own note")
    log_in(api_client, tree["master"])
    url = reverse("affiliate:referral-notes", args=[tree["sub_referral"].pk])

    created = api_client.post(url, {"body": "Called, interested."})
    listed = api_client.get(url)

    assert created.status_code == 201
    assert [note["body"] for note in listed.json()] == ["Called, interested."]


def test_notes_on_another_affiliates_client_answer_404(api_client, tree):
    log_in(api_client, tree["master"])
    url = reverse("affiliate:referral-notes", args=[tree["stranger_referral"].pk])

    response = api_client.post(url, {"body": "x"})

    assert response.status_code == 404
    assert not ReferralNote.objects.exists()


def test_referral_list_queries_do_not_grow_with_rows(api_client):
    affiliate = portal_affiliate()
    sub = AffiliateFactory(parent=affiliate)
    for _ in range(2):
        referral_of(sub)
    log_in(api_client, affiliate)
    api_client.get(LIST_URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        api_client.get(LIST_URL)
    for _ in range(15):
        referral_of(affiliate)
        referral_of(sub)
    with CaptureQueriesContext(connection) as large:
        response = api_client.get(LIST_URL)

    assert response.json()["count"] == 32
    assert len(large.captured_queries) == len(small.captured_queries) <= 5


def test_a_referral_without_a_country_is_listed_with_an_empty_code(api_client, tree):
    Customer.objects.filter(pk=tree["own"].pk).update(country="")
    log_in(api_client, tree["master"])

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert {row["id"]: row["country"] for row in response.json()["results"]}[tree["own"].pk] == ""
