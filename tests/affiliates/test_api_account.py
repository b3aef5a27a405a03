"""The affiliate's own program: dashboard, downline, profile, referral key, keys, grey label, marketing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crm.affiliates.models import AffiliateApiKey, CommissionModel
from crm.customers.models import Customer
from crm.users.models import hash_token
from tests.affiliates.api_factories import log_in, portal_affiliate
from tests.affiliates.factories import (
    AffiliateFactory,
    BannerFactory,
    CommissionLedgerFactory,
    LandingPageFactory,
    ReferralActionFactory,
    TargetGroupFactory,
    referral_of,
)

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_dashboard_counts_the_tree_in_the_period(api_client):
    affiliate = portal_affiliate()
    sub = AffiliateFactory(parent=affiliate)
    now = timezone.now()
    own = referral_of(affiliate, registered_at=now, first_deposit_at=now)
    referral_of(sub, registered_at=now)
    referral_of(affiliate, registered_at=now - dt.timedelta(days=400))
    referral_of(portal_affiliate(), registered_at=now)
    ReferralActionFactory(customer=own, action_type="DEPOSIT", amount=Decimal("300"), occurred_at=now)
    ReferralActionFactory(customer=own, action_type="WITHDRAWAL", amount=Decimal("100"), occurred_at=now)
    CommissionLedgerFactory(introducer=affiliate, referral=own, commission_amount=Decimal("50"), action_timestamp=now)
    log_in(api_client, affiliate)

    body = api_client.get(reverse("affiliate:dashboard-list"), {"start": now.date().isoformat()}).json()

    assert (body["signups"], body["signups_direct"], body["ftds"], body["referrals_total"]) == (2, 1, 1, 3)
    assert body["sub_affiliates"] == 1
    assert body["money"]["USD"]["net_deposits"] == "200.00000000"
    assert body["commissions"]["approved"] == "50.00000000"
    assert body["balance"] == "50.00000000"


def test_dashboard_refuses_a_reversed_period(api_client):
    log_in(api_client, portal_affiliate())

    response = api_client.get(reverse("affiliate:dashboard-list"), {"start": "2024-02-01", "end": "2024-01-01"})

    assert response.status_code == 400


def test_downline_lists_every_sub_affiliate_with_its_figures(api_client):
    affiliate = portal_affiliate()
    sub = AffiliateFactory(parent=affiliate)
    subsub = AffiliateFactory(parent=sub)
    AffiliateFactory(parent=portal_affiliate())
    referral_of(sub, registered_at=timezone.now())
    log_in(api_client, affiliate)

    rows = api_client.get(reverse("affiliate:downline-list")).json()["results"]

    assert [(row["id"], row["relative_depth"], row["signups"]) for row in rows] == [(sub.pk, 1, 1), (subsub.pk, 2, 0)]


def test_profile_and_referral_key(api_client):
    affiliate = portal_affiliate()
    log_in(api_client, affiliate)
    url = reverse("affiliate:profile-referral-key")

    changed = api_client.post(url, {"ref_key": "my-key_01"})
    short = api_client.post(url, {"ref_key": "abcd"})
    taken_by = portal_affiliate()
    taken = api_client.post(url, {"ref_key": taken_by.customer.referral_key})

    assert (changed.status_code, changed.json()) == (200, {"success": True})
    assert api_client.get(reverse("affiliate:profile-list")).json()["referral_key"] == "my-key_01"
    assert (short.status_code, list(short.json()["error"]["fields"])) == (400, ["ref_key"])
    assert (taken.status_code, taken.json()["error"]["code"]) == (400, "referral_key_taken")
    assert Customer.objects.get(pk=affiliate.customer_id).referral_key == "my-key_01"


def test_generated_key_is_shown_once_and_stored_hashed(api_client):
    affiliate = portal_affiliate()
    log_in(api_client, affiliate)

    created = api_client.post(reverse("affiliate:key-list"), {"name": "CRM"})
    listed = api_client.get(reverse("affiliate:key-list")).json()["results"]

    key = created.json()["key"]
    stored = AffiliateApiKey.objects.get(affiliate=affiliate)
    assert created.status_code == 201
    assert stored.key_hash == hash_token(key)
    assert "key" not in listed[0]
    assert listed[0]["key_prefix"] == key[:8]


def test_revoked_key_stops_working(api_client):
    affiliate = portal_affiliate()
    log_in(api_client, affiliate)
    key = api_client.post(reverse("affiliate:key-list"), {}).json()

    api_client.delete(reverse("affiliate:key-detail", args=[key["id"]]))
    api_client.credentials(HTTP_X_AFFILIATE_KEY=key["key"])

    assert api_client.get(reverse("affiliate:referral-list")).status_code == 401


@pytest.mark.parametrize("status", [Customer.Status.BANNED, Customer.Status.DELETED])
def test_key_of_a_banned_or_deleted_client_stops_working(api_client, status):
    # Found by the access matrix: the portal log-in of such an affiliate was refused, its partner key was not.
    from crm.affiliates import services

    affiliate = portal_affiliate()
    _, raw = services.create_api_key(affiliate, actor=None)
    Customer.objects.filter(pk=affiliate.customer_id).update(status=status)
    api_client.credentials(HTTP_X_AFFILIATE_KEY=raw)

    assert api_client.get(reverse("affiliate:referral-list")).status_code == 401
    assert services.affiliate_for_api_key(raw) is None


def test_another_affiliates_key_cannot_be_revoked(api_client):
    from crm.affiliates import services

    other_key, _ = services.create_api_key(portal_affiliate(), actor=None)
    log_in(api_client, portal_affiliate())

    response = api_client.delete(reverse("affiliate:key-detail", args=[other_key.pk]))

    assert response.status_code == 404
    assert AffiliateApiKey.objects.get(pk=other_key.pk).revoked_at is None


def test_grey_label_logos_need_the_plan_to_allow_them(api_client):
    plan = CommissionModel.objects.create(name="Grey", grey_labeling_enabled=False)
    affiliate = portal_affiliate(commission_model=plan)
    log_in(api_client, affiliate)
    url = reverse("affiliate:grey-label-logos")

    def upload():
        return api_client.post(
            url,
            {
                "rectangular_logo": SimpleUploadedFile("r.png", PNG, content_type="image/png"),
                "square_logo": SimpleUploadedFile("s.png", PNG, content_type="image/png"),
            },
            format="multipart",
        )

    refused = upload()
    CommissionModel.objects.filter(pk=plan.pk).update(grey_labeling_enabled=True)
    enabled = api_client.get(reverse("affiliate:grey-label-enabled")).json()
    uploaded = upload()
    deleted = api_client.delete(url)

    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "grey_labeling_disabled")
    assert enabled == {"enabled": True}
    assert uploaded.status_code == 200
    assert uploaded.json()["square_logo"].endswith(".png")
    assert deleted.json() == {"success": True}
    assert api_client.get(url).json() == {"rectangular_logo": None, "square_logo": None}


def test_replacing_grey_label_logos_keeps_the_new_files_and_removes_the_old(
    api_client, django_capture_on_commit_callbacks
):
    affiliate = portal_affiliate(
        commission_model=CommissionModel.objects.create(name="Grey", grey_labeling_enabled=True)
    )
    log_in(api_client, affiliate)

    def upload():
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(
                reverse("affiliate:grey-label-logos"),
                {
                    "rectangular_logo": SimpleUploadedFile("r.png", PNG, content_type="image/png"),
                    "square_logo": SimpleUploadedFile("s.png", PNG, content_type="image/png"),
                },
                format="multipart",
            )
        affiliate.refresh_from_db()
        return response, [affiliate.rectangular_logo.name, affiliate.square_logo.name]

    first, first_names = upload()
    first_kept = [affiliate.rectangular_logo.storage.exists(name) for name in first_names]
    second, second_names = upload()
    storage = affiliate.rectangular_logo.storage

    assert (first.status_code, second.status_code) == (200, 200)
    assert first_kept == [True, True]
    assert set(first_names).isdisjoint(second_names)
    assert [storage.exists(name) for name in second_names] == [True, True]
    assert [storage.exists(name) for name in first_names] == [False, False]


def test_marketing_offered_to_all_or_to_the_affiliates_groups(api_client):
    affiliate = portal_affiliate()
    mine, other = TargetGroupFactory(), TargetGroupFactory()
    mine.affiliates.add(affiliate)
    for_all, for_mine, for_other = BannerFactory(), BannerFactory(), BannerFactory()
    for_mine.target_groups.add(mine)
    for_other.target_groups.add(other)
    BannerFactory(is_active=False)
    page = LandingPageFactory()
    LandingPageFactory().target_groups.add(other)
    log_in(api_client, affiliate)

    groups = api_client.get(reverse("affiliate:target-group-list")).json()["results"]
    banners = api_client.get(reverse("affiliate:banner-list")).json()["results"]
    pages = api_client.get(reverse("affiliate:landing-page-list")).json()["results"]

    assert [group["id"] for group in groups] == [mine.pk]
    assert {banner["id"] for banner in banners} == {for_all.pk, for_mine.pk}
    assert [row["id"] for row in pages] == [page.pk]
